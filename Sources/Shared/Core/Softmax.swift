import Foundation

/// The one home of softmax: over a logit vector in Double (class probabilities, the losses), and
/// over instances, where each row of a K×N score matrix becomes a distribution over the N instances
/// (attention A, DESIGN §3), in place, with its backward right under it and the tiled form inference uses.

/// Softmax and log-softmax of a logit vector in the max-subtracted form that cannot overflow.
public enum Softmax {
    public static func probabilities(_ logits: [Float]) -> [Double] {
        probabilities(logits.map(Double.init))
    }

    public static func probabilities(_ logits: [Double]) -> [Double] {
        let lse = logSumExp(logits)
        return logits.map { exp($0 - lse) }
    }

    /// log Σ exp(xᵢ); −∞ for an empty vector.
    public static func logSumExp(_ x: [Double]) -> Double {
        guard let m = x.max() else { return -.infinity }
        guard m.isFinite else { return m }
        var s = 0.0
        for v in x { s += exp(v - m) }
        return m + log(s)
    }
}

/// s[k,·] ← softmax(s[k,·]), computed as exp(s − max) / Σ exp(s − max) so large scores cannot overflow.
public func softmaxRowsForward(_ s: MatrixView) {
    for k in 0..<s.rows {
        let row = s.row(k)
        var top = -Float.infinity
        for n in 0..<s.cols { top = max(top, row[n]) }
        applyVectorised(row, count: s.cols) { vexp($0 - top) }
        var sum: Float = 0
        for n in 0..<s.cols { sum += row[n] }
        let inverse = 1 / sum
        for n in 0..<s.cols { row[n] *= inverse }
    }
}

/// dS = A ⊙ (dA − ⟨A, dA⟩) per row, written over `gradient` (dA in, dS out); `output` is A.
public func softmaxRowsBackward(output a: MatrixView, gradient g: MatrixView) {
    precondition(a.rows == g.rows && a.cols == g.cols)
    for k in 0..<a.rows {
        let pa = a.row(k)
        let pg = g.row(k)
        let inner = dot(pa, pg, count: a.cols)
        for n in 0..<a.cols { pg[n] = pa[n] * (pg[n] - inner) }
    }
}

/// out[k,·] ← log softmax(s[k,·]) = s − max − log Σ exp(s − max): finite wherever s is, even where the
/// softmax underflows to 0 (the log of the softmax would be −∞ there). `out` must not alias `s`.
public func logSoftmaxRowsForward(_ s: MatrixView, into out: MatrixView) {
    precondition(s.rows == out.rows && s.cols == out.cols)
    for k in 0..<s.rows {
        let row = s.row(k)
        let o = out.row(k)
        var top = -Float.infinity
        for n in 0..<s.cols { top = max(top, row[n]) }
        o.update(from: row, count: s.cols)
        applyVectorised(o, count: s.cols) { vexp($0 - top) }
        var sum: Float = 0
        for n in 0..<s.cols { sum += o[n] }
        let shift = top + log(sum)
        for n in 0..<s.cols { o[n] = row[n] - shift }
    }
}

/// dS = dL − A·Σ_n dL per row, written over `gradient` (dL in, dS out); `probabilities` is A = softmax(s).
public func logSoftmaxRowsBackward(probabilities a: MatrixView, gradient g: MatrixView) {
    precondition(a.rows == g.rows && a.cols == g.cols)
    for k in 0..<a.rows {
        let pa = a.row(k)
        let pg = g.row(k)
        var total: Float = 0
        for n in 0..<a.cols { total += pg[n] }
        for n in 0..<a.cols { pg[n] -= pa[n] * total }
    }
}

/// Attention pooling Σ_n softmax_N(s)[k,n]·V[n] computed tile by tile (the "online softmax"), so
/// inference never holds more than one tile of instance activations: per class row it keeps the
/// running maximum m and Σ exp(s − m), and rescales the pooled row when m grows.
public final class OnlineSoftmax {
    private var maxima: [Float]
    private var sums: [Float]

    public init(classes: Int) {
        maxima = [Float](repeating: -.infinity, count: classes)
        sums = [Float](repeating: 0, count: classes)
    }

    /// One tile: scores S (K×t), values V (t×W); `exp` is K×t scratch; pooled (K×W) accumulates.
    public func add(scores s: MatrixView, values v: MatrixView, exp e: MatrixView, into pooled: MatrixView) {
        precondition(
            s.rows == maxima.count && e.rows == s.rows && e.cols == s.cols && v.rows == s.cols
                && pooled.rows == s.rows && pooled.cols == v.cols)
        for k in 0..<s.rows {
            let row = s.row(k)
            let out = e.row(k)
            var top = maxima[k]
            for n in 0..<s.cols { top = max(top, row[n]) }
            if top > maxima[k] {
                let scale = maxima[k] == -.infinity ? 0 : fastExp(maxima[k] - top)
                sums[k] *= scale
                for j in 0..<pooled.cols { pooled.row(k)[j] *= scale }
                maxima[k] = top
            }
            out.update(from: row, count: s.cols)
            applyVectorised(out, count: s.cols) { vexp($0 - top) }
            for n in 0..<s.cols { sums[k] += out[n] }
        }
        gemm(e, v, into: pooled, beta: 1)
    }

    /// pooled[k] ← pooled[k] / Σ; scores (K×N, all tiles) ← their softmax over instances.
    public func finish(scores s: MatrixView, pooled: MatrixView) {
        for k in 0..<s.rows {
            let inverse = 1 / sums[k]
            let top = maxima[k]
            for j in 0..<pooled.cols { pooled.row(k)[j] *= inverse }
            applyVectorised(s.row(k), count: s.cols) { vexp($0 - top) * inverse }
        }
    }
}
