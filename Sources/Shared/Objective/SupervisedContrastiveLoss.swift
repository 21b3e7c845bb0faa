import Foundation

/// Supervised contrastive loss over a batch of bags (Khosla et al. 2020), exactly as the released
/// `SupConLoss` with `contrast_mode='all'` is called by `compute_contrastive_loss`:
///
/// - each bag b contributes its Kf rows of z (L2-normalised fine bag features) as Kf views, all
///   labelled with the bag's fine label; M = B·Kf views, every view is an anchor;
/// - positives of an anchor: every other view with the same label, including the other views of its
///   own bag, so a bag whose class has a single member in the batch still has Kf − 1 positives;
/// - with S = z·zᵀ/τ and mᵢ = maxⱼ Sᵢⱼ (self included, treated as a constant):
///   log pᵢⱼ = Sᵢⱼ − mᵢ − log(Σ_{k≠i} exp(Sᵢₖ − mᵢ) + 1e-6),
///   lossᵢ = −(τ/τ_base)·Σ_{j∈pos(i)} log pᵢⱼ / (|pos(i)| + 1e-6),
///   L = meanᵢ lossᵢ, then divided by B once more (the release's `/ len(semantics_features)`).
///
/// The 1e-6 terms and the detached max are the release's; they make the value not exactly
/// shift-invariant, so they are reproduced rather than simplified away. An anchor without positives
/// (Kf = 1 and a single-member class) contributes 0.
public enum SupervisedContrastiveLoss {
    public struct Result: Sendable {
        public var value: Double
        /// ∂value/∂z for each bag, [Kf, E] row-major.
        public var gradients: [[Double]]
    }

    /// `embeddings[b]` is bag b's z [Kf, E] (row-major, `width` = E); `labels[b]` its fine label.
    public static func evaluate(
        embeddings: [[Float]], width: Int, labels: [Int], temperature: Double,
        baseTemperature: Double = 0.1, dividedByBatchSize: Bool = true
    ) -> Result {
        let bags = embeddings.count
        precondition(bags > 0, "contrastive loss needs at least one bag")
        precondition(labels.count == bags, "\(labels.count) labels for \(bags) bags")
        precondition(width > 0 && embeddings[0].count % width == 0, "embedding is not a multiple of width \(width)")
        let views = embeddings[0].count / width
        precondition(views > 0, "embedding has no rows")
        precondition(embeddings.allSatisfy { $0.count == views * width }, "bags have different embedding shapes")
        let m = bags * views

        // Z [M, E], row r = b·Kf + v (the release orders views first; the order changes no value).
        var z = [Double](repeating: 0, count: m * width)
        for b in 0..<bags {
            for (i, v) in embeddings[b].enumerated() { z[b * views * width + i] = Double(v) }
        }
        let label = (0..<m).map { labels[$0 / views] }

        // S = Z·Zᵀ / τ   [M, M]
        var s = [Double](repeating: 0, count: m * m)
        z.withUnsafeMutableBufferPointer { zb in
            s.withUnsafeMutableBufferPointer { sb in
                let zm = DoubleMatrixView(zb.baseAddress!, rows: m, cols: width)
                gemm(zm, zm, transposeB: true, into: DoubleMatrixView(sb.baseAddress!, rows: m, cols: m), alpha: 1 / temperature)
            }
        }

        let lossScale = (temperature / baseTemperature) / Double(m) / (dividedByBatchSize ? Double(bags) : 1)
        // G = ∂L/∂S, built row by row in place of S.
        var total = 0.0
        var row = [Double](repeating: 0, count: m)
        for i in 0..<m {
            let base = i * m
            var rowMax = -Double.infinity
            for j in 0..<m { rowMax = max(rowMax, s[base + j]) }
            var denominator = 0.0
            var positives = 0.0
            for j in 0..<m where j != i {
                row[j] = exp(s[base + j] - rowMax)
                denominator += row[j]
                if label[j] == label[i] { positives += 1 }
            }
            row[i] = 0
            denominator += 1e-6
            let logDenominator = log(denominator)
            var positiveLogProb = 0.0
            for j in 0..<m where j != i && label[j] == label[i] {
                positiveLogProb += s[base + j] - rowMax - logDenominator
            }
            let positiveScale = 1 / (positives + 1e-6)
            total += -positiveLogProb * positiveScale
            // ∂lossᵢ/∂Sᵢⱼ = −(pos_ij·w − (P·w)·Eᵢⱼ/D) with w = 1/(P + 1e-6)
            let softScale = positives * positiveScale / denominator
            for j in 0..<m {
                let isPositive = j != i && label[j] == label[i]
                s[base + j] = -lossScale * ((isPositive ? positiveScale : 0) - softScale * row[j])
            }
        }

        // ∂L/∂Z = (G + Gᵀ)·Z / τ
        var dz = [Double](repeating: 0, count: m * width)
        z.withUnsafeMutableBufferPointer { zb in
            s.withUnsafeMutableBufferPointer { sb in
                dz.withUnsafeMutableBufferPointer { db in
                    let zm = DoubleMatrixView(zb.baseAddress!, rows: m, cols: width)
                    let g = DoubleMatrixView(sb.baseAddress!, rows: m, cols: m)
                    let dzm = DoubleMatrixView(db.baseAddress!, rows: m, cols: width)
                    gemm(g, zm, into: dzm, alpha: 1 / temperature)
                    gemm(g, transposeA: true, zm, into: dzm, alpha: 1 / temperature, beta: 1)
                }
            }
        }
        let gradients = (0..<bags).map { b in Array(dz[(b * views * width)..<((b + 1) * views * width)]) }
        return Result(value: total * lossScale, gradients: gradients)
    }
}
