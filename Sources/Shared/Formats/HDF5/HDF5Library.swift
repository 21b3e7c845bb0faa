import CHDF5
import Foundation

/// The one place the library (Shared) calls libhdf5, to read feature files; only the demo data
/// builder (pipelines/demo/hmil-demo-data) writes HDF5, with its own calls. The Debian build is not
/// thread-safe, so every call runs under one lock; HDF5's own error printing is switched off and
/// failures become `FeatureFileProblem`s.
enum HDF5Library {
    private static let lock = NSLock()
    private static let setUp: Void = {
        H5open()
        H5Eset_auto2(0 /* H5E_DEFAULT */, nil, nil)
    }()

    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        _ = setUp
        return try body()
    }

    /// Opens the HDF5 file at `path` (`size` bytes) read-only under the lock, runs `body` and closes it.
    static func withFile<T>(_ path: String, size: Int, _ body: (HDF5File) throws -> T) throws -> T {
        try locked {
            guard H5Fis_hdf5(path) > 0 else { throw FeatureFileProblem("not an HDF5 file (no HDF5 signature)") }
            let file = try check(H5Fopen(path, 0 /* H5F_ACC_RDONLY */, 0), "cannot open the HDF5 file (damaged or truncated?)")
            defer { H5Fclose(file) }
            return try body(HDF5File(id: file, size: size))
        }
    }

    static func check(_ id: hid_t, _ what: @autoclosure () -> String) throws -> hid_t {
        guard id >= 0 else { throw FeatureFileProblem(what()) }
        return id
    }

    static func check(_ status: herr_t, _ what: @autoclosure () -> String) throws {
        guard status >= 0 else { throw FeatureFileProblem(what()) }
    }
}

/// An HDF5 file open for reading, valid inside `HDF5Library.withFile` only.
struct HDF5File {
    fileprivate let id: hid_t
    /// The file's size in bytes: a bound on what its datasets may declare.
    let size: Int

    /// The first of `names` that exists, read whole; nil when none does.
    func firstDataset(_ names: [String]) throws -> HDF5Dataset? {
        for name in names {
            if let dataset = try HDF5Dataset.read(file: id, name: name, fileSize: size) { return dataset }
        }
        return nil
    }
}

/// A dataset read into memory as raw elements of its own type (no HDF5 conversion), so float16,
/// which HDF5 1.10 has no native type for, is converted by `StridedArray` like every other type.
struct HDF5Dataset {
    var name: String
    var type: ElementType
    var bigEndian: Bool
    var shape: [Int]
    var bytes: [UInt8]

    /// Decompressed data may be larger than the file, but not by this factor: a bound on hostile
    /// declared sizes (a chunked dataset of 10¹² zeros) before anything is allocated.
    static let maximumExpansion = 1024

    func withStrided<T>(_ body: (StridedArray) throws -> T) rethrows -> T {
        try bytes.withUnsafeBytes {
            try body(
                StridedArray(
                    type: type, bigEndian: bigEndian, shape: shape,
                    strides: StridedArray.contiguousStrides(shape), offset: 0, storage: $0))
        }
    }

    /// Reads `name` (a path such as `features` or `group/x`) from an open file; nil when absent.
    /// Call inside `HDF5Library.locked`.
    fileprivate static func read(file: hid_t, name: String, fileSize: Int) throws -> HDF5Dataset? {
        // H5Lexists needs every parent group to exist, so check the path one link at a time.
        var prefix = ""
        for part in name.split(separator: "/") {
            prefix += (prefix.isEmpty ? "" : "/") + part
            guard H5Lexists(file, prefix, 0) > 0 else { return nil }
        }
        let dataset = try HDF5Library.check(H5Dopen2(file, name, 0), "'\(name)' is not a dataset")
        defer { H5Dclose(dataset) }
        let space = try HDF5Library.check(H5Dget_space(dataset), "cannot read the shape of '\(name)'")
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank >= 1, rank <= 8 else { throw FeatureFileProblem("'\(name)' has \(rank) dimensions") }
        var dims = [hsize_t](repeating: 0, count: rank)
        guard H5Sget_simple_extent_dims(space, &dims, nil) == rank else { throw FeatureFileProblem("cannot read the shape of '\(name)'") }

        let fileType = try HDF5Library.check(H5Dget_type(dataset), "cannot read the type of '\(name)'")
        defer { H5Tclose(fileType) }
        let (type, bigEndian) = try elementType(fileType, name: name)

        var count = 1
        for d in dims {
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(clamping: d))
            guard !overflow else { throw FeatureFileProblem("'\(name)' declares a shape that overflows") }
            count = product
        }
        let (length, overflow) = count.multipliedReportingOverflow(by: type.size)
        guard !overflow, length / maximumExpansion <= fileSize else {
            throw FeatureFileProblem("'\(name)' declares \(dims) elements, far more than a \(fileSize)-byte file can hold")
        }
        var bytes = [UInt8](repeating: 0, count: length)
        if length > 0 {
            let status = bytes.withUnsafeMutableBytes { H5Dread(dataset, fileType, 0, 0, 0, $0.baseAddress) }
            try HDF5Library.check(status, "cannot read '\(name)' (damaged or truncated file?)")
        }
        return HDF5Dataset(name: name, type: type, bigEndian: bigEndian, shape: dims.map { Int($0) }, bytes: bytes)
    }

    private static func elementType(_ t: hid_t, name: String) throws -> (ElementType, Bool) {
        let size = H5Tget_size(t)
        let bigEndian = H5Tget_order(t) == H5T_ORDER_BE
        switch H5Tget_class(t) {
        case H5T_FLOAT:
            var spos = 0
            var epos = 0
            var esize = 0
            var mpos = 0
            var msize = 0
            H5Tget_fields(t, &spos, &epos, &esize, &mpos, &msize)
            switch (size, spos, epos, esize, mpos, msize) {
            case (2, 15, 10, 5, 0, 10): return (.float16, bigEndian)
            case (4, 31, 23, 8, 0, 23): return (.float32, bigEndian)
            case (8, 63, 52, 11, 0, 52): return (.float64, bigEndian)
            default: throw FeatureFileProblem("'\(name)' has a \(size)-byte float layout that is not IEEE")
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(t) == H5T_SGN_2
            switch (size, signed) {
            case (1, true): return (.int8, false)
            case (1, false): return (.uint8, false)
            case (2, true): return (.int16, bigEndian)
            case (4, true): return (.int32, bigEndian)
            case (8, true): return (.int64, bigEndian)
            default: throw FeatureFileProblem("'\(name)' has \(signed ? "" : "un")signed \(size)-byte integers, which are not supported")
            }
        default:
            throw FeatureFileProblem("'\(name)' holds neither floats nor integers")
        }
    }
}
