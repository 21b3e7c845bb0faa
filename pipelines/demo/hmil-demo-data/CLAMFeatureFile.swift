import CHDF5
import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Writes one bag as CLAM writes its `h5_files/<slide_id>.h5`: dataset `features` (N×D, float32) and
/// dataset `coords` (N×2, int32, x then y), contiguous, little-endian. Object modification times are
/// off so a seed gives byte-identical files. The file is written under a temporary name in the same
/// folder and renamed over the final name once HDF5 has closed it, so no half-written file is ever
/// seen under `path`.
enum CLAMFeatureFile {
    // Values of HDF5's H5F_ACC_TRUNC and H5P_DEFAULT, macros Swift cannot import.
    private static let truncate: UInt32 = 0x0002
    private static let defaultList: hid_t = 0

    static func write(
        path: String, features: UnsafeBufferPointer<Float>, featureDim: Int,
        coords: [Int32]
    ) throws {
        let rows = coords.count / 2
        precondition(features.count == rows * featureDim, "features must be N×D")
        H5Eset_auto2(0, nil, nil)  // errors become ToolErrors below, not HDF5's stack dump on stderr

        let folder = (path as NSString).deletingLastPathComponent
        let temporary = folder + "/." + (path as NSString).lastPathComponent + ".tmp-\(getpid())"
        let file = H5Fcreate(temporary, truncate, defaultList, defaultList)
        guard file >= 0 else {
            throw ToolError("cannot create HDF5 file", at: temporary, hint: "check that the folder exists and is writable")
        }
        var closed = false
        defer {
            if !closed {
                H5Fclose(file)
                unlink(temporary)
            }
        }

        try writeDataset(
            file: file, name: "features", rows: rows, columns: featureDim,
            fileType: hmil_h5t_ieee_f32le(), memoryType: hmil_h5t_native_float(),
            values: UnsafeRawPointer(features.baseAddress!), path: path)
        try coords.withUnsafeBytes { buffer in
            try writeDataset(
                file: file, name: "coords", rows: rows, columns: 2,
                fileType: hmil_h5t_std_i32le(), memoryType: hmil_h5t_native_int32(),
                values: buffer.baseAddress!, path: path)
        }
        closed = true
        guard H5Fclose(file) >= 0 else {
            unlink(temporary)
            throw ToolError("cannot close HDF5 file", at: temporary, hint: "check free disk space")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ToolError("cannot rename \(temporary): \(reason)", at: path)
        }
    }

    private static func writeDataset(
        file: hid_t, name: String, rows: Int, columns: Int, fileType: hid_t,
        memoryType: hid_t, values: UnsafeRawPointer, path: String
    ) throws {
        var dims: [hsize_t] = [hsize_t(rows), hsize_t(columns)]
        let space = H5Screate_simple(2, &dims, nil)
        guard space >= 0 else { throw ToolError("cannot create HDF5 dataspace for '\(name)'", at: path) }
        defer { H5Sclose(space) }
        let properties = H5Pcreate(hmil_h5p_dataset_create())
        guard properties >= 0 else { throw ToolError("cannot create HDF5 property list", at: path) }
        defer { H5Pclose(properties) }
        H5Pset_obj_track_times(properties, false)
        let dataset = H5Dcreate2(file, name, fileType, space, defaultList, properties, defaultList)
        guard dataset >= 0 else { throw ToolError("cannot create HDF5 dataset '\(name)'", at: path) }
        defer { H5Dclose(dataset) }
        guard H5Dwrite(dataset, memoryType, 0, 0, defaultList, values) >= 0 else {
            throw ToolError("cannot write HDF5 dataset '\(name)'", at: path, hint: "check free disk space")
        }
    }
}
