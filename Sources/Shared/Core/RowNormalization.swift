/// Row L2 normalisation as torch.nn.functional.normalize(x, p=2, dim=1, eps=1e-12):
/// z = x / max(‖x‖, eps). Used for z, the contrastive embedding (DESIGN §3).
public let rowNormalizationEpsilon: Float = 1e-12

/// z ← x / max(‖x‖, eps) row by row; `norms` (rows floats) receives max(‖x‖, eps) for the backward.
public func normalizeRowsForward(_ x: MatrixView, into z: MatrixView, norms: UnsafeMutablePointer<Float>) {
    precondition(x.rows == z.rows && x.cols == z.cols)
    for i in 0..<x.rows {
        let px = x.row(i)
        let pz = z.row(i)
        let norm = max(dot(px, px, count: x.cols).squareRoot(), rowNormalizationEpsilon)
        norms[i] = norm
        for j in 0..<x.cols { pz[j] = px[j] / norm }
    }
}

/// dx += ∂L/∂x from dz. Above eps, dx = (dz − z⟨z, dz⟩)/‖x‖; at or below it the clamp is constant,
/// so dx = dz/eps (what autograd gives through clamp_min).
public func normalizeRowsBackward(
    output z: MatrixView, norms: UnsafePointer<Float>, gradient dz: MatrixView,
    accumulateInto dx: MatrixView
) {
    precondition(z.rows == dz.rows && z.cols == dz.cols && dx.rows == z.rows && dx.cols == z.cols)
    for i in 0..<z.rows {
        let pz = z.row(i)
        let pg = dz.row(i)
        let pd = dx.row(i)
        let norm = norms[i]
        if norm > rowNormalizationEpsilon {
            let inner = dot(pz, pg, count: z.cols)
            for j in 0..<z.cols { pd[j] += (pg[j] - pz[j] * inner) / norm }
        } else {
            for j in 0..<z.cols { pd[j] += pg[j] / norm }
        }
    }
}
