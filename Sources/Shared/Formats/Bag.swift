/// One slide's bag in memory, as every feature reader returns it and the pack stores it:
/// N instances × D features, row-major f32 (compute is always f32, whatever the storage dtype).
public struct Bag: Sendable, Equatable {
    public var slideID: String
    public var instanceCount: Int  // N
    public var featureDim: Int  // D
    public var features: [Float]  // [N, D]
    /// Patch positions, when the source has them.
    public var coordinates: Coordinates?

    public init(slideID: String, instanceCount: Int, featureDim: Int, features: [Float], coordinates: Coordinates? = nil) {
        precondition(features.count == instanceCount * featureDim, "features must be N×D")
        self.slideID = slideID
        self.instanceCount = instanceCount
        self.featureDim = featureDim
        self.features = features
        self.coordinates = coordinates
    }
}

/// Patch coordinates, N×2 row-major (x, y), kept in the unit the source used: int32 level-0 pixels
/// (CLAM, TRIDENT) or float32 (e.g. STAMP's micrometres). The pack header records which.
public enum Coordinates: Sendable, Equatable {
    case int32([Int32])  // [N, 2]
    case float32([Float])  // [N, 2]

    public var count: Int {
        switch self {
        case .int32(let v): return v.count / 2
        case .float32(let v): return v.count / 2
        }
    }
}

/// A bag whose features are borrowed, not owned: for a `.pt` file they point straight into the mapped
/// file, so `hmil-pack` converts and compresses them without first copying them into a `[Float]`.
/// Valid only inside the closure that hands it out (`FeatureFiles.withBag`, `Bag.withView`).
public struct BagView {
    public var slideID: String
    public var instanceCount: Int  // N
    public var featureDim: Int  // D
    public var features: UnsafeBufferPointer<Float>  // [N, D]
    public var coordinates: Coordinates?

    public init(
        slideID: String, instanceCount: Int, featureDim: Int, features: UnsafeBufferPointer<Float>,
        coordinates: Coordinates? = nil
    ) {
        precondition(features.count == instanceCount * featureDim, "features must be N×D")
        self.slideID = slideID
        self.instanceCount = instanceCount
        self.featureDim = featureDim
        self.features = features
        self.coordinates = coordinates
    }
}

extension Bag {
    /// The bag as a view of its own storage.
    public func withView<T>(_ body: (BagView) throws -> T) rethrows -> T {
        try features.withUnsafeBufferPointer { features in
            try body(
                BagView(
                    slideID: slideID, instanceCount: instanceCount, featureDim: featureDim, features: features,
                    coordinates: coordinates))
        }
    }
}
