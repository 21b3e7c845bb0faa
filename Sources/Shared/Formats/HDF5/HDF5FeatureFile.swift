import CHDF5

/// Reads a slide's features from an HDF5 file through libhdf5: CLAM (`features` N×D float32,
/// `coords` N×2 int32), TRIDENT (`features` float32 or float16, chunked; `coords` int64),
/// STAMP (`feats` float16, `coords` float32 micrometres), or any other layout via `FeatureKeys`.
public enum HDF5FeatureFile {
    public static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Reads the bag of `slideID` from `path`; errors name the slide and file.
    public static func read(_ path: String, slideID: String, keys: FeatureKeys = FeatureKeys()) throws -> Bag {
        try FeatureFiles.reporting(path: path, slideID: slideID) {
            let fileSize = try FeatureFileBytes.fileSize(path)
            let (features, coordinates) = try HDF5Library.locked { () throws -> (HDF5Dataset, HDF5Dataset?) in
                guard H5Fis_hdf5(path) > 0 else { throw FeatureFileProblem("not an HDF5 file (no HDF5 signature)") }
                let file = try HDF5Library.check(H5Fopen(path, 0 /* H5F_ACC_RDONLY */, 0), "cannot open the HDF5 file (damaged or truncated?)")
                defer { H5Fclose(file) }
                func first(_ names: [String]) throws -> HDF5Dataset? {
                    for name in names {
                        if let dataset = try HDF5Dataset.read(file: file, name: name, fileSize: fileSize) { return dataset }
                    }
                    return nil
                }
                guard let features = try first(keys.featureCandidates) else {
                    throw FeatureFileProblem("no dataset " + keys.featureCandidates.map { "'\($0)'" }.joined(separator: " or ")
                                             + "; use --features-key to name it")
                }
                let coordinates = try first(keys.coordinateCandidates)
                if coordinates == nil, let wanted = keys.coordinates { throw FeatureFileProblem("no dataset '\(wanted)'") }
                return (features, coordinates)
            }
            let values = try features.withStrided { try $0.floats("dataset '\(features.name)'") }
            let coords = try coordinates.map { c in try c.withStrided { try $0.coordinates("dataset '\(c.name)'") } }
            return try FeatureFiles.makeBag(slideID: slideID, features: values, coordinates: coords)
        }
    }
}
