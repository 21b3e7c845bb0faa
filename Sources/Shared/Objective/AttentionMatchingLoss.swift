import Foundation

/// Instance-level attention matching L_att for one bag (DESIGN §4): the coarse attention of each
/// instance should point the same way as the fine attention summed per coarse class,
///
///     Ã[k,n] = Σ_{π(j)=k} A_f[j,n],   L_att = (1/N)·Σ_n (1 − cos(A_c[:,n], Ã[:,n])),
///
/// cosine over the Kc classes. The batch term is the mean over bags.
///
/// Zero vectors follow torch's `cosine_similarity` (torch 2.x, eps = 1e-8) exactly, value and
/// gradient: each vector is divided by its norm clamped to ≥ eps, and the clamp is invisible to the
/// gradient (done under no_grad). So cos(0, y) = 0 with ∂/∂x = ŷ/eps (the true one-sided derivative:
/// the function is linear inside the eps ball) and ∂/∂y = 0. For 0 < ‖x‖ < eps torch's gradient is
/// not the derivative of its value (it keeps the ∂‖x‖/∂x term); we reproduce torch there too. In
/// practice a column this small comes from softmax weights ≈ 0, whose Jacobian then multiplies the
/// large gradient by ≈ 0.
public enum AttentionMatchingLoss {
    public static let cosineEpsilon = 1e-8

    public struct Result: Sendable {
        public var value: Double
        /// ∂value/∂A_c [Kc, N]
        public var coarseGradient: [Double]
        /// ∂value/∂A_f [Kf, N]
        public var fineGradient: [Double]
    }

    /// `coarseAttention` [Kc, N], `fineAttention` [Kf, N], row-major; `parents[j]` = π(j).
    public static func evaluate(
        coarseAttention: [Float], fineAttention: [Float], instanceCount n: Int,
        parents: [Int], coarseCount kc: Int,
        epsilon: Double = cosineEpsilon
    ) -> Result {
        let kf = parents.count
        precondition(n > 0, "attention matching needs at least one instance")
        precondition(coarseAttention.count == kc * n, "coarse attention has \(coarseAttention.count) values, expected \(kc)×\(n)")
        precondition(fineAttention.count == kf * n, "fine attention has \(fineAttention.count) values, expected \(kf)×\(n)")

        // Ã [Kc, N]
        var summed = [Double](repeating: 0, count: kc * n)
        for j in 0..<kf {
            let k = parents[j]
            for i in 0..<n { summed[k * n + i] += Double(fineAttention[j * n + i]) }
        }
        // Per column: x·y, ‖x‖², ‖y‖² (rows are contiguous, so accumulate row by row).
        var dot = [Double](repeating: 0, count: n)
        var xx = [Double](repeating: 0, count: n)
        var yy = [Double](repeating: 0, count: n)
        for k in 0..<kc {
            for i in 0..<n {
                let x = Double(coarseAttention[k * n + i])
                let y = summed[k * n + i]
                dot[i] += x * y
                xx[i] += x * x
                yy[i] += y * y
            }
        }
        // For each column: value 1 − dot/(nx·ny); with r = true norms and nx = max(rx, eps):
        // ∂cos/∂x = y/(nx·ny) − dot/(nx²·ny)·x/rx (0 where rx = 0), symmetric in y.
        let scale = 1 / Double(n)
        var total = 0.0
        var cx = [Double](repeating: 0, count: n)
        var ax = [Double](repeating: 0, count: n)  // ∂cos/∂x = cx·y − ax·x
        var cy = [Double](repeating: 0, count: n)
        var ay = [Double](repeating: 0, count: n)  // ∂cos/∂y = cy·x − ay·y
        for i in 0..<n {
            let rx = xx[i].squareRoot()
            let ry = yy[i].squareRoot()
            let nx = max(rx, epsilon)
            let ny = max(ry, epsilon)
            let cosine = dot[i] / (nx * ny)
            total += 1 - cosine
            cx[i] = 1 / (nx * ny)
            cy[i] = cx[i]
            ax[i] = rx > 0 ? dot[i] / (nx * nx * ny * rx) : 0
            ay[i] = ry > 0 ? dot[i] / (nx * ny * ny * ry) : 0
        }
        var coarseGradient = [Double](repeating: 0, count: kc * n)
        var summedGradient = [Double](repeating: 0, count: kc * n)
        for k in 0..<kc {
            for i in 0..<n {
                let x = Double(coarseAttention[k * n + i])
                let y = summed[k * n + i]
                coarseGradient[k * n + i] = -scale * (cx[i] * y - ax[i] * x)
                summedGradient[k * n + i] = -scale * (cy[i] * x - ay[i] * y)
            }
        }
        // Ã is a sum of fine rows, so each fine row receives its parent's gradient row.
        var fineGradient = [Double](repeating: 0, count: kf * n)
        for j in 0..<kf {
            let k = parents[j]
            for i in 0..<n { fineGradient[j * n + i] = summedGradient[k * n + i] }
        }
        return Result(value: total * scale, coarseGradient: coarseGradient, fineGradient: fineGradient)
    }
}
