import Foundation

/// The feature-file readers behind one entry point: the format is chosen by extension and checked
/// by content, and every reader returns a validated `Bag` (at least one instance, finite values,
/// one coordinate pair per instance) or throws a one-line error naming the slide and file.
public enum FeatureFiles {
    public enum Format: String, Sendable, CaseIterable {
        case torch, hdf5, numpy, csv
    }

    /// Extensions searched for, in order of preference, and the format each means.
    public static let extensions: [(ext: String, format: Format)] = [
        ("pt", .torch), ("pth", .torch), ("h5", .hdf5), ("hdf5", .hdf5), ("npy", .numpy), ("csv", .csv)
    ]

    public static func format(ofPath path: String) -> Format? {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        return extensions.first { $0.ext == ext }?.format
    }

    /// Reads the bag of `slideID` from `path`, choosing the reader by extension.
    public static func read(_ path: String, slideID: String, keys: FeatureKeys = FeatureKeys()) throws -> Bag {
        guard let format = format(ofPath: path) else {
            throw ToolError(
                "unknown feature file type", at: "slide \(slideID), \(path)",
                hint: "expected one of " + extensions.map { "." + $0.ext }.joined(separator: ", "))
        }
        switch format {
        case .torch: return try TorchFeatureFile.read(path, slideID: slideID, keys: keys)
        case .hdf5: return try HDF5FeatureFile.read(path, slideID: slideID, keys: keys)
        case .numpy: return try NumpyFile.read(path, slideID: slideID)
        case .csv: return try FeatureCSV.read(path, slideID: slideID)
        }
    }

    /// Reads the bag of `slideID` from `path` and hands it to `body` as a view, validated as `read` does.
    /// A contiguous little-endian float32 tensor in a `.pt` file (CLAM's `pt_files`) is not copied: the view
    /// points into the mapped file. Other files are read into a `Bag` first.
    public static func withBag<T>(
        _ path: String, slideID: String, keys: FeatureKeys = FeatureKeys(),
        _ body: (BagView) throws -> T
    ) throws -> T {
        if format(ofPath: path) == .torch {
            return try TorchFeatureFile.withBag(path, slideID: slideID, keys: keys, body)
        }
        return try read(path, slideID: slideID, keys: keys).withView(body)
    }

    /// What the file says about where its patches lie on the slide (see `HDF5PatchGeometry`): only HDF5 files
    /// (TRIDENT, STAMP, CLAM patch files) carry it; nil for other formats and for files that say nothing.
    public static func geometry(_ path: String, slideID: String, keys: FeatureKeys = FeatureKeys()) throws -> PatchGeometry? {
        guard format(ofPath: path) == .hdf5 else { return nil }
        return try HDF5PatchGeometry.read(path, slideID: slideID, keys: keys)
    }

    /// Validates what a reader found and makes the bag.
    static func makeBag(
        slideID: String, features: (rows: Int, cols: Int, values: [Float]),
        coordinates: (rows: Int, value: Coordinates)?
    ) throws -> Bag {
        try features.values.withUnsafeBufferPointer { values in
            try validate(rows: features.rows, cols: features.cols, values: values, coordinates: coordinates)
        }
        return Bag(
            slideID: slideID, instanceCount: features.rows, featureDim: features.cols,
            features: features.values, coordinates: coordinates?.value)
    }

    /// The checks every reader's bag passes: at least one instance, finite values, one finite coordinate
    /// pair per instance.
    static func validate(
        rows: Int, cols: Int, values: UnsafeBufferPointer<Float>,
        coordinates: (rows: Int, value: Coordinates)?
    ) throws {
        guard rows > 0 else { throw FeatureFileProblem("no instances (0 rows of features)") }
        guard cols > 0 else { throw FeatureFileProblem("features have 0 columns") }
        if let bad = firstNonFinite(values) {
            throw FeatureFileProblem("feature value \(values[bad]) at instance \(bad / cols), column \(bad % cols) is not finite")
        }
        if let coordinates {
            guard coordinates.rows == rows else {
                throw FeatureFileProblem("\(coordinates.rows) coordinate pairs for \(rows) instances")
            }
            if case .float32(let values) = coordinates.value, values.contains(where: { !$0.isFinite }) {
                throw FeatureFileProblem("a coordinate is not finite")
            }
        }
    }

    /// Index of the first NaN or infinity. Scans 8 lanes at a time with integer arithmetic (a value is not
    /// finite when its exponent bits are all ones, i.e. |bits| > 0x7F7F_FFFF), OR-ing a flag per block, so
    /// a valid bag costs one vectorised pass; only a block that holds one is searched element by element.
    static func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
        guard let base = values.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        let count = values.count
        let block = 1024
        var start = 0
        while start < count {
            let end = min(count, start + block)
            var flags = SIMD8<Int32>(repeating: 0)
            var i = start
            while i + 8 <= end {
                let bits = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Int32>.self)
                // All ones in the sign bit where the magnitude exceeds the largest finite float.
                flags |= (0x7F7F_FFFF &- (bits & 0x7FFF_FFFF))
                i += 8
            }
            var found = (flags &>> 31) != SIMD8(repeating: 0)
            while i < end, !found {
                found = !base[i].isFinite
                i += 1
            }
            if found, let bad = (start..<end).first(where: { !base[$0].isFinite }) { return bad }
            start = end
        }
        return nil
    }

    /// Runs a reader, turning what is wrong inside the file into the one-line error naming slide and file.
    static func reporting<T>(path: String, slideID: String, _ body: () throws -> T) throws -> T {
        let location = "slide \(slideID), \(path)"
        do {
            return try body()
        } catch let problem as FeatureFileProblem {
            throw ToolError(problem.description, at: location)
        } catch let error as PickleError {
            throw ToolError(error.description, at: location, hint: "the file is damaged or was not written by torch.save")
        } catch var error as ToolError {
            if error.location == path { error.location = location }
            throw error
        }
    }
}
