/// Names of the features and coordinates inside a dict-like feature file (a `.pt` dict, an HDF5
/// file). Nil means the usual names: `features` or `feats` (STAMP), and `coords`. A key given
/// explicitly must exist; HDF5 keys may be paths such as `embeddings/x`.
public struct FeatureKeys: Sendable, Equatable {
    public var features: String?
    public var coordinates: String?

    public init(features: String? = nil, coordinates: String? = nil) {
        self.features = features
        self.coordinates = coordinates
    }

    public static let defaultFeatureNames = ["features", "feats"]
    public static let defaultCoordinateNames = ["coords"]

    var featureCandidates: [String] { features.map { [$0] } ?? Self.defaultFeatureNames }
    var coordinateCandidates: [String] { coordinates.map { [$0] } ?? Self.defaultCoordinateNames }
}
