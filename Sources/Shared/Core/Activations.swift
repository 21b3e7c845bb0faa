/// Elementwise ops of the model, each backward right under its forward. They work in place on
/// MatrixViews so the workspace's buffers are reused: a forward leaves behind exactly what its
/// backward reads (ReLU's output, the gate's tanh and sigmoid values).

import CKernels

@inline(__always)
private func load(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Runs `body(offset, lanes)` over each row in chunks of 8 columns; the last chunk of a row may be
/// shorter (lanes < 8), in which case body must use the scalar path.
@inline(__always)
private func forEachChunk(rows: Int, cols: Int, _ body: (_ row: Int, _ col: Int, _ lanes: Int) -> Void) {
    for i in 0..<rows {
        var j = 0
        while j < cols {
            let lanes = min(8, cols - j)
            body(i, j, lanes)
            j += 8
        }
    }
}

// MARK: ReLU

/// x ← max(x, 0).
public func reluForward(_ x: MatrixView) {
    forEachChunk(rows: x.rows, cols: x.cols) { i, j, lanes in
        let p = x.row(i) + j
        if lanes == 8 {
            let v = load(p)
            store(v.replacing(with: 0, where: v .< 0), p)
        } else {
            for l in 0..<lanes { p[l] = max(p[l], 0) }
        }
    }
}

/// dx ← dy ⊙ [y > 0], in place in `gradient`; `output` is the forward's result.
public func reluBackward(output y: MatrixView, gradient dy: MatrixView) {
    precondition(y.rows == dy.rows && y.cols == dy.cols)
    forEachChunk(rows: y.rows, cols: y.cols) { i, j, lanes in
        let py = y.row(i) + j
        let pd = dy.row(i) + j
        if lanes == 8 {
            store(SIMD8<Float>().replacing(with: load(pd), where: load(py) .> 0), pd)
        } else {
            for l in 0..<lanes where !(py[l] > 0) { pd[l] = 0 }
        }
    }
}

// MARK: Gate  g = tanh(a) ⊙ sigmoid(b)  (CLAM's Attn_Net_Gated, before attention_c)

/// a ← tanh(a), b ← sigmoid(b), g ← a ⊙ b (N×H each). With `masks` (N×2H: the a half then the
/// b half, values 0 or 1/(1−p)), dropout follows tanh and sigmoid as in the release:
/// g = (tanh(a)·m_a) ⊙ (sigmoid(b)·m_b).
///
/// The matrix goes through CKernels' AVX2 copy of this loop where the CPU has AVX2 (the same bits, twice the
/// width: on the mixed shape of issue 12 the gate was 7 % of training's CPU); `gateForwardLoop` is
/// the Swift loop it copies.
public func gateForward(a: MatrixView, b: MatrixView, into g: MatrixView, masks: MatrixView? = nil) {
    precondition(a.rows == b.rows && a.cols == b.cols && g.rows == a.rows && g.cols == a.cols)
    let done = hmil_gate_forward(
        a.base, b.base, g.base, masks?.base, a.rows, a.cols, a.stride, b.stride, g.stride, masks?.stride ?? 0)
    if done == 0 { gateForwardLoop(a: a, b: b, into: g, masks: masks) }
}

/// gateForward in Swift, 8 lanes of SIMD8 at a time (the reference CKernels' kernel is tested against).
public func gateForwardLoop(a: MatrixView, b: MatrixView, into g: MatrixView, masks: MatrixView? = nil) {
    precondition(a.rows == b.rows && a.cols == b.cols && g.rows == a.rows && g.cols == a.cols)
    let h = a.cols
    forEachChunk(rows: a.rows, cols: h) { i, j, lanes in
        let pa = a.row(i) + j
        let pb = b.row(i) + j
        let pg = g.row(i) + j
        if lanes == 8 {
            let t = vtanh(load(pa))
            let s = vsigmoid(load(pb))
            store(t, pa)
            store(s, pb)
            if let m = masks {
                store(t * load(m.row(i) + j) * s * load(m.row(i) + h + j), pg)
            } else {
                store(t * s, pg)
            }
        } else {
            for l in 0..<lanes {
                let t = fastTanh(pa[l])
                let s = fastSigmoid(pb[l])
                pa[l] = t
                pb[l] = s
                pg[l] = masks.map { t * $0.row(i)[j + l] * s * $0.row(i)[h + j + l] } ?? t * s
            }
        }
    }
}

/// From dg (in `g`) and the forward's tanh/sigmoid values (in `a`, `b`): a ← ∂L/∂a, b ← ∂L/∂b.
/// d tanh = 1 − t², d sigmoid = s(1 − s).
/// Through CKernels' AVX2 copy where the CPU has it, as gateForward; `gateBackwardLoop` is the Swift loop.
public func gateBackward(a: MatrixView, b: MatrixView, gradient g: MatrixView, masks: MatrixView? = nil) {
    precondition(a.rows == b.rows && a.cols == b.cols && g.rows == a.rows && g.cols == a.cols)
    let done = hmil_gate_backward(
        a.base, b.base, g.base, masks?.base, a.rows, a.cols, a.stride, b.stride, g.stride, masks?.stride ?? 0)
    if done == 0 { gateBackwardLoop(a: a, b: b, gradient: g, masks: masks) }
}

/// gateBackward in Swift (the reference CKernels' kernel is tested against).
public func gateBackwardLoop(a: MatrixView, b: MatrixView, gradient g: MatrixView, masks: MatrixView? = nil) {
    precondition(a.rows == b.rows && a.cols == b.cols && g.rows == a.rows && g.cols == a.cols)
    let h = a.cols
    forEachChunk(rows: a.rows, cols: h) { i, j, lanes in
        let pa = a.row(i) + j
        let pb = b.row(i) + j
        let pg = g.row(i) + j
        if lanes == 8 {
            let t = load(pa)
            let s = load(pb)
            var dg = load(pg)
            var ma = SIMD8<Float>(repeating: 1)
            var mb = SIMD8<Float>(repeating: 1)
            if let m = masks {
                ma = load(m.row(i) + j)
                mb = load(m.row(i) + h + j)
            }
            dg = dg * ma * mb
            store(dg * s * (1 - t * t), pa)
            store(dg * t * s * (1 - s), pb)
        } else {
            for l in 0..<lanes {
                let t = pa[l]
                let s = pb[l]
                var dg = pg[l]
                if let m = masks { dg *= m.row(i)[j + l] * m.row(i)[h + j + l] }
                pa[l] = dg * s * (1 - t * t)
                pb[l] = dg * t * s * (1 - s)
            }
        }
    }
}

// MARK: Dropout masks

/// Fills `masks` with inverted-dropout factors: 0 with probability `rate`, else 1/(1 − rate)
/// (torch.nn.Dropout's training-mode scaling). Draws row by row, left to right.
public func drawDropoutMasks(_ masks: MatrixView, rate: Float, generator: inout SeededGenerator) {
    precondition(rate >= 0 && rate < 1)
    let keep = 1 / (1 - rate)
    for i in 0..<masks.rows {
        let p = masks.row(i)
        for j in 0..<masks.cols { p[j] = generator.nextUniform() < Double(rate) ? 0 : keep }
    }
}
