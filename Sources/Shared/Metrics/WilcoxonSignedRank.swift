#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The two-sided Wilcoxon signed-rank test of paired differences, as `scipy.stats.wilcoxon(d)` computes
/// it with its defaults (scipy 1.17: zero_method "wilcox", correction off, method "auto"):
///
/// - zero differences are dropped; the others are ranked by |d| (ties get their average rank) and
///   r₊ is the sum of the ranks of the positive ones; `statistic` is min(r₊, r₋);
/// - `exact`: with at most 50 differences, no zero and no tied |d|, p = 2·min(P(R₊ ≤ r₊), P(R₊ ≥ r₊))
///   under the exact null distribution of R₊ (every sign pattern equally likely), at most 1;
/// - `signFlips`: with zeros or ties and at most 13 differences (zeros counted), the same p from all
///   2ⁿ sign flips of the observed ranks (scipy's exact permutation test; with ties R₊ takes half-integer
///   values the exact table lacks);
/// - `normal`: otherwise (more than 50, or ties/zeros with more than 13), z = (r₊ − n(n+1)/4) / σ with
///   σ² = (n(n+1)(2n+1) − Σ(t³ − t)/2) / 24 over the tie groups of sizes t, n the non-zero count, and
///   p = 2·P(Z ≥ |z|), no continuity correction.
///
/// Older scipy (before 1.13) used the normal approximation wherever this uses sign flips; the golden
/// file (Tests/Parity/paired_statistics_reference.py) pins the version it was made with.
public struct WilcoxonSignedRank: Equatable, Sendable {
    public enum Method: String, Codable, Sendable {
        case exact
        case signFlips = "sign_flips"
        case normal
    }

    /// Differences left after dropping zeros.
    public let nonzero: Int
    public let zeros: Int
    /// Sum of the ranks of the positive differences.
    public let rankSumPositive: Double
    /// min(r₊, r₋), what scipy reports as the statistic.
    public let statistic: Double
    /// nil when undefined: no differences, or every difference is zero and the normal approximation applies.
    public let pValue: Double?
    public let method: Method

    public init(differences: [Double]) {
        precondition(differences.allSatisfy(\.isFinite), "differences must be finite")
        let kept = differences.filter { $0 != 0 }
        nonzero = kept.count
        zeros = differences.count - kept.count

        // Average ranks of |d| (1-based), and the sizes of the tie groups.
        let order = kept.indices.sorted { abs(kept[$0]) < abs(kept[$1]) }
        var ranks = [Double](repeating: 0, count: kept.count)
        var tieGroups: [Int] = []
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && abs(kept[order[end]]) == abs(kept[order[start]]) { end += 1 }
            let average = Double(start + 1 + end) / 2
            for position in start..<end { ranks[order[position]] = average }
            tieGroups.append(end - start)
            start = end
        }
        let positive = kept.indices.filter { kept[$0] > 0 }
        rankSumPositive = positive.reduce(0) { $0 + ranks[$1] }
        let total = Double(nonzero * (nonzero + 1)) / 2
        statistic = min(rankSumPositive, total - rankSumPositive)
        let hasTies = tieGroups.contains { $0 > 1 }

        if differences.isEmpty {
            method = .exact
            pValue = nil
        } else if differences.count <= 50 && !hasTies && zeros == 0 {
            method = .exact
            pValue = Self.exactP(rankSum: Int(rankSumPositive), n: nonzero)
        } else if differences.count <= 13 {
            method = .signFlips
            pValue = Self.signFlipP(ranks: ranks, observed: rankSumPositive)
        } else {
            method = .normal
            let n = Double(nonzero)
            let ties = tieGroups.reduce(0.0) { $0 + Double($1 * $1 * $1 - $1) }
            let sigma = ((n * (n + 1) * (2 * n + 1) - ties / 2) / 24).squareRoot()
            if sigma > 0 {
                let z = (rankSumPositive - n * (n + 1) / 4) / sigma
                pValue = erfc(abs(z) / 2.0.squareRoot())  // = 2·P(Z ≥ |z|)
            } else {
                pValue = nil
            }
        }
    }

    /// 2·min(P(R₊ ≤ r), P(R₊ ≥ r)) under the exact null: counts of sign patterns of 1…n by rank sum.
    private static func exactP(rankSum r: Int, n: Int) -> Double {
        let maxSum = n * (n + 1) / 2
        var counts = [UInt64](repeating: 0, count: maxSum + 1)  // at most 2^50 each: no overflow for n ≤ 50
        counts[0] = 1
        for k in stride(from: 1, through: n, by: 1) {
            for s in stride(from: k * (k + 1) / 2, through: k, by: -1) { counts[s] += counts[s - k] }
        }
        let patterns = Double(sign: .plus, exponent: n, significand: 1)
        let below = counts[0...r].reduce(0, +)
        let above = counts[r...maxSum].reduce(0, +)
        return min(1, 2 * Double(min(below, above)) / patterns)
    }

    /// 2·min(share of sign flips with r₊ ≤ observed, share with r₊ ≥ observed), at most 1. Ranks are
    /// multiples of ½, so sums are compared exactly as integers of half-ranks.
    private static func signFlipP(ranks: [Double], observed: Double) -> Double {
        let halves = ranks.map { Int(($0 * 2).rounded()) }
        let target = Int((observed * 2).rounded())
        var below = 0
        var above = 0
        let patterns = 1 << halves.count
        for pattern in 0..<patterns {
            var sum = 0
            for (i, h) in halves.enumerated() where pattern & (1 << i) != 0 { sum += h }
            if sum <= target { below += 1 }
            if sum >= target { above += 1 }
        }
        return min(1, 2 * Double(min(below, above)) / Double(patterns))
    }
}
