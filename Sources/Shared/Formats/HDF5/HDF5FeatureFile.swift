/// Reads a slide's features from an HDF5 file through `HDF5Library`: CLAM (`features` N×D float32,
/// `coords` N×2 int32), TRIDENT (`features` float32 or float16, chunked; `coords` int64),
/// STAMP (`feats` float16, `coords` float32 micrometres), or any other layout via `FeatureKeys`.
public enum HDF5FeatureFile {
    public static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Reads the bag of `slideID` from `path`; errors name the slide and file.
    public static func read(_ path: String, slideID: String, keys: FeatureKeys = FeatureKeys()) throws -> Bag {
        try FeatureFiles.reporting(path: path, slideID: slideID) {
            let fileSize = try FeatureFileBytes.fileSize(path)
            let (features, coordinates) = try HDF5Library.withFile(path, size: fileSize) { file -> (HDF5Dataset, HDF5Dataset?) in
                guard let features = try file.firstDataset(keys.featureCandidates) else {
                    throw FeatureFileProblem(
                        "no dataset " + keys.featureCandidates.map { "'\($0)'" }.joined(separator: " or ")
                            + "; use --features-key to name it")
                }
                let coordinates = try file.firstDataset(keys.coordinateCandidates)
                if coordinates == nil, let wanted = keys.coordinates { throw FeatureFileProblem("no dataset '\(wanted)'") }
                return (features, coordinates)
            }
            let values = try features.withStrided { try $0.floats("dataset '\(features.name)'") }
            let coords = try coordinates.map { c in try c.withStrided { try $0.coordinates("dataset '\(c.name)'") } }
            return try FeatureFiles.makeBag(slideID: slideID, features: values, coordinates: coords)
        }
    }
}
