/// Mean and sample standard deviation (n − 1) of a metric over the units of a study (fold×seed pairs).
public struct SampleSummary: Codable, Equatable, Sendable {
    public var n: Int
    public var mean: Double?
    /// nil with fewer than two values.
    public var std: Double?

    public init(_ values: [Double]) {
        n = values.count
        mean = values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        if let mean, values.count > 1 {
            std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(n, forKey: .n)
        try c.encode(mean, forKey: .mean)  // null, not absent
        try c.encode(std, forKey: .std)
    }
}

/// A run against a baseline over the same units (fold×seed pairs), from the differences run − baseline:
/// their mean, a Student-t interval for it (n − 1 degrees of freedom: mean ± t·s/√n) and the two-sided
/// Wilcoxon signed-rank p-value (see WilcoxonSignedRank for which form, as scipy chooses it).
/// The interval assumes the units independent; folds of one seed share training data, so it is
/// optimistic, as every cross-validated interval is.
public struct PairedDifference: Codable, Equatable, Sendable {
    public var n: Int
    public var mean: Double?
    public var std: Double?
    /// [low, high]; nil with fewer than two pairs.
    public var ci95: [Double]?
    public var wilcoxonP: Double?
    public var wilcoxonMethod: WilcoxonSignedRank.Method?
    /// Pairs where the run is above, below and equal to the baseline.
    public var wins: Int
    public var losses: Int
    public var ties: Int

    public static let confidence = 0.95

    public init(differences: [Double]) {
        let summary = SampleSummary(differences)
        n = summary.n
        mean = summary.mean
        std = summary.std
        if let mean, let std, n > 1 {
            let t = StudentT.quantile(0.5 + Self.confidence / 2, degreesOfFreedom: Double(n - 1))
            let half = t * std / Double(n).squareRoot()
            ci95 = [mean - half, mean + half]
        }
        if !differences.isEmpty {
            let test = WilcoxonSignedRank(differences: differences)
            wilcoxonP = test.pValue
            wilcoxonMethod = test.method
        }
        wins = differences.filter { $0 > 0 }.count
        losses = differences.filter { $0 < 0 }.count
        ties = differences.filter { $0 == 0 }.count
    }

    enum CodingKeys: String, CodingKey {
        case n, mean, std, ci95
        case wilcoxonP = "wilcoxon_p"
        case wilcoxonMethod = "wilcoxon_method"
        case wins, losses, ties
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(n, forKey: .n)
        try c.encode(mean, forKey: .mean)
        try c.encode(std, forKey: .std)
        try c.encode(ci95, forKey: .ci95)
        try c.encode(wilcoxonP, forKey: .wilcoxonP)
        try c.encode(wilcoxonMethod, forKey: .wilcoxonMethod)
        try c.encode(wins, forKey: .wins)
        try c.encode(losses, forKey: .losses)
        try c.encode(ties, forKey: .ties)
    }
}
