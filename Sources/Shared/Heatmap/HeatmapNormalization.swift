import Foundation

/// How a slide's attention becomes colour scores in [0, 1].
///
/// Attention is a softmax over a slide's N patches: values near 1/N with a few patches far above. Drawn
/// raw, those few outliers take the top of the colour scale and every other patch looks the same colour.
/// CLAM therefore draws percentile ranks (`to_percentiles`: `scipy.stats.rankdata(scores, 'average') /
/// len(scores) * 100`), so the colours spread evenly over the patches whatever the outliers: `rank`, the
/// default. `percentile` keeps proportions but clips to the 1st–99th percentile, so one outlier cannot wash
/// out the map; `raw` is linear from 0 to the slide's largest attention, for comparing magnitudes.
public enum HeatmapNormalization: String, CaseIterable, Sendable, Codable {
    case rank, percentile, raw

    public static let lowPercentile = 1.0
    public static let highPercentile = 99.0

    /// Scores in [0, 1] for `values`, and the attention values the ends of the colour bar stand for
    /// (rank: the smallest and largest attention, since ranks have no unit).
    public func scores(_ values: [Float]) -> (scores: [Float], low: Double, high: Double) {
        let n = values.count
        guard n > 0 else { return ([], 0, 0) }
        let sorted = values.sorted()
        switch self {
        case .rank:
            // rankdata(..., 'average') / n: ties share the mean of their ranks (1-based), so the largest is 1.
            var scores = [Float](repeating: 0, count: n)
            let order = values.indices.sorted { values[$0] < values[$1] }
            var start = 0
            while start < n {
                var end = start + 1
                while end < n, values[order[end]] == values[order[start]] { end += 1 }
                let rank = Double(start + 1 + end) / 2  // mean of ranks start+1 … end
                for i in start..<end { scores[order[i]] = Float(rank / Double(n)) }
                start = end
            }
            return (scores, Double(sorted[0]), Double(sorted[n - 1]))
        case .percentile:
            let low = Self.percentile(sorted, Self.lowPercentile)
            let high = Self.percentile(sorted, Self.highPercentile)
            return (Self.linear(values, low: low, high: high), low, high)
        case .raw:
            let high = Double(sorted[n - 1])
            return (Self.linear(values, low: 0, high: high), 0, high)
        }
    }

    /// numpy's default (linear) percentile of sorted values.
    static func percentile(_ sorted: [Float], _ p: Double) -> Double {
        let position = p / 100 * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(sorted.count - 1, below + 1)
        let fraction = position - Double(below)
        return Double(sorted[below]) + fraction * (Double(sorted[above]) - Double(sorted[below]))
    }

    private static func linear(_ values: [Float], low: Double, high: Double) -> [Float] {
        guard high > low else { return values.map { _ in 1 } }
        return values.map { Float(min(1, max(0, (Double($0) - low) / (high - low)))) }
    }

    /// What the colour bar's ends say.
    public func barLabels(low: Double, high: Double) -> (left: String, right: String, title: String) {
        switch self {
        case .rank: return ("0%", "100%", "attention percentile rank")
        case .percentile: return (Self.format(low), Self.format(high), "attention, 1st–99th percentile")
        case .raw: return ("0", Self.format(high), "attention")
        }
    }

    static func format(_ value: Double) -> String {
        value == 0 ? "0" : String(format: abs(value) < 1e-3 ? "%.2e" : "%.4f", value)
    }
}
