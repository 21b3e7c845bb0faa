import Shared

/// Bags whose value statistics resemble real patch features, for measuring compression.
enum SyntheticFeatures {
    /// CLAM's ResNet50 (truncated after layer 3, average-pooled) features: 1024-d, non-negative (pooled ReLU
    /// outputs), channel scales spread over orders of magnitude, ~10% dead channels and ~20% exact zeros,
    /// many small values; instances of a slide share a per-slide tissue factor.
    static func resnetLike(bags: Int, instances: Int, seed: UInt64) -> [Bag] {
        let dim = 1024
        var channels = SeededGenerator(seed: 1000)
        let scale = (0..<dim).map { _ in Float(exp(-1.2 + 0.9 * channels.nextNormal())) }
        let dead = (0..<dim).map { _ in channels.nextUniform() < 0.1 }
        return (0..<bags).map { b in
            var rng = SeededGenerator(seed: seed, stream: UInt64(b))
            let slideFactor = (0..<dim).map { _ in Float(exp(0.3 * rng.nextNormal())) }
            var features = [Float](repeating: 0, count: instances * dim)
            for i in 0..<instances {
                let instanceFactor = Float(exp(0.25 * rng.nextNormal()))
                for c in 0..<dim where !dead[c] {
                    features[i * dim + c] = max(0, scale[c] * slideFactor[c] * instanceFactor * Float(1 + 0.8 * rng.nextNormal()))
                }
            }
            return Bag(slideID: "resnet_\(b)", instanceCount: instances, featureDim: dim, features: features)
        }
    }

    /// Foundation-model embeddings (UNI, Virchow, GigaPath-like): 1536-d, dense, signed, roughly Gaussian
    /// per channel with channel-specific mean and spread.
    static func foundationLike(bags: Int, instances: Int, seed: UInt64) -> [Bag] {
        let dim = 1536
        var channels = SeededGenerator(seed: 2000)
        let mean = (0..<dim).map { _ in Float(0.3 * channels.nextNormal()) }
        let spread = (0..<dim).map { _ in Float(exp(-0.7 + 0.4 * channels.nextNormal())) }
        return (0..<bags).map { b in
            var rng = SeededGenerator(seed: seed, stream: UInt64(b))
            var features = [Float](repeating: 0, count: instances * dim)
            for i in 0..<instances {
                for c in 0..<dim { features[i * dim + c] = mean[c] + spread[c] * Float(rng.nextNormal()) }
            }
            return Bag(slideID: "foundation_\(b)", instanceCount: instances, featureDim: dim, features: features)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
