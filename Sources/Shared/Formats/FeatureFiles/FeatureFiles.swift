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
        ("pt", .torch), ("pth", .torch), ("h5", .hdf5), ("hdf5", .hdf5), ("npy", .numpy), ("csv", .csv),
    ]

    public static func format(ofPath path: String) -> Format? {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        return extensions.first { $0.ext == ext }?.format
    }

    /// Reads the bag of `slideID` from `path`, choosing the reader by extension.
    public static func read(_ path: String, slideID: String, keys: FeatureKeys = FeatureKeys()) throws -> Bag {
        guard let format = format(ofPath: path) else {
            throw ToolError("unknown feature file type", at: "slide \(slideID), \(path)",
                            hint: "expected one of " + extensions.map { "." + $0.ext }.joined(separator: ", "))
        }
        switch format {
        case .torch: return try TorchFeatureFile.read(path, slideID: slideID, keys: keys)
        case .hdf5: return try HDF5FeatureFile.read(path, slideID: slideID, keys: keys)
        case .numpy: return try NumpyFile.read(path, slideID: slideID)
        case .csv: return try FeatureCSV.read(path, slideID: slideID)
        }
    }

    /// Validates what a reader found and makes the bag.
    static func makeBag(slideID: String, features: (rows: Int, cols: Int, values: [Float]),
                        coordinates: (rows: Int, value: Coordinates)?) throws -> Bag {
        guard features.rows > 0 else { throw FeatureFileProblem("no instances (0 rows of features)") }
        guard features.cols > 0 else { throw FeatureFileProblem("features have 0 columns") }
        if let bad = features.values.firstIndex(where: { !$0.isFinite }) {
            throw FeatureFileProblem("feature value \(features.values[bad]) at instance \(bad / features.cols), column \(bad % features.cols) is not finite")
        }
        if let coordinates {
            guard coordinates.rows == features.rows else {
                throw FeatureFileProblem("\(coordinates.rows) coordinate pairs for \(features.rows) instances")
            }
            if case .float32(let values) = coordinates.value, values.contains(where: { !$0.isFinite }) {
                throw FeatureFileProblem("a coordinate is not finite")
            }
        }
        return Bag(slideID: slideID, instanceCount: features.rows, featureDim: features.cols,
                   features: features.values, coordinates: coordinates?.value)
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
