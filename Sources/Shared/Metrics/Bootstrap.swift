/// Percentile bootstrap (Efron): resample the n bags of one fold with replacement, recompute a metric on
/// each resample, and report the central `confidence` share of the resampled values.
///
/// A resample is represented by its multiplicities (how often each bag was drawn), so metrics take it as
/// weights and no bag data is copied. Resamples on which a metric is undefined (e.g. one class only, for
/// AUC) are skipped for that metric and counted.
public enum Bootstrap {
    /// Draws n indices uniformly with replacement and writes how often each was drawn into `weights`.  [n]
    public static func drawMultiplicities(into weights: inout [Double], using generator: inout SeededGenerator) {
        let n = weights.count
        for i in 0..<n { weights[i] = 0 }
        guard n > 0 else { return }
        for _ in 0..<n {
            // Lemire's multiply-shift: unbiased to within n / 2⁶⁴, and the same on every platform.
            let index = Int(generator.next().multipliedFullWidth(by: UInt64(n)).high)
            weights[index] += 1
        }
    }

    /// numpy's default `percentile(values, q)` (linear interpolation), `q` in [0, 100]; values sorted ascending.
    public static func percentile(sorted values: [Double], _ q: Double) -> Double {
        precondition(!values.isEmpty && q >= 0 && q <= 100)
        let position = q / 100 * Double(values.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, values.count - 1)
        let fraction = position - Double(below)
        return values[below] + (values[above] - values[below]) * fraction
    }

    /// The percentile interval of `values` covering `confidence`; nil when there are no values.
    public static func interval(_ values: [Double], confidence: Double) -> [Double]? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let tail = (1 - confidence) / 2 * 100
        return [percentile(sorted: sorted, tail), percentile(sorted: sorted, 100 - tail)]
    }
}
