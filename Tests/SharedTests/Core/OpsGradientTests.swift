import Shared
import XCTest

/// Finite-difference checks of each op's backward against its forward: L = Σ r ⊙ op(x).
final class OpsGradientTests: XCTestCase {
    var generator = SeededGenerator(seed: 42)

    func testReLU() {
        // Keep inputs away from the kink at 0, where the derivative jumps.
        let x = randomFloats(24, &generator).map { $0 + ($0 >= 0 ? 0.05 : -0.05) }
        let r = randomFloats(24, &generator)
        let y = withMatrix(x, rows: 4, cols: 6) { reluForward($0) }
        var dx = r
        y.withUnsafeBufferPointer { py in
            dx.withUnsafeMutableBufferPointer {
                reluBackward(
                    output: MatrixView(UnsafeMutablePointer(mutating: py.baseAddress!), rows: 4, cols: 6),
                    gradient: MatrixView($0.baseAddress!, rows: 4, cols: 6))
            }
        }
        let numeric = numericGradient(at: x) { weightedSum(withMatrix($0, rows: 4, cols: 6) { reluForward($0) }, r) }
        assertGradientsAgree(dx, numeric, "relu")
    }

    /// Gate over an N×2H block (a | b), as the model stores it; 11 columns exercise the scalar tail.
    private func checkGate(h: Int, dropout: Bool) {
        let n = 3
        let ab = randomFloats(n * 2 * h, &generator, scale: 1.5)
        let r = randomFloats(n * h, &generator)
        var masks = [Float](repeating: 1, count: n * 2 * h)
        if dropout {
            var g = SeededGenerator(seed: 5)
            masks.withUnsafeMutableBufferPointer {
                drawDropoutMasks(MatrixView($0.baseAddress!, rows: n, cols: 2 * h), rate: 0.25, generator: &g)
            }
            XCTAssert(masks.contains(0) && masks.contains(Float(1) / 0.75))
        }
        func gate(_ input: [Float], gradient: [Float]?) -> (g: [Float], ab: [Float]) {
            var ab = input
            var g = [Float](repeating: 0, count: n * h)
            ab.withUnsafeMutableBufferPointer { pab in
                g.withUnsafeMutableBufferPointer { pg in
                    masks.withUnsafeMutableBufferPointer { pm in
                        let m = MatrixView(pab.baseAddress!, rows: n, cols: 2 * h)
                        let gv = MatrixView(pg.baseAddress!, rows: n, cols: h)
                        let mv = dropout ? MatrixView(pm.baseAddress!, rows: n, cols: 2 * h) : nil
                        gateForward(a: m.columns(0..<h), b: m.columns(h..<2 * h), into: gv, masks: mv)
                        if let gradient {
                            gv.base.update(from: gradient, count: n * h)
                            gateBackward(a: m.columns(0..<h), b: m.columns(h..<2 * h), gradient: gv, masks: mv)
                        }
                    }
                }
            }
            return (g, ab)
        }
        let analytic = gate(ab, gradient: r).ab
        let numeric = numericGradient(at: ab) { weightedSum(gate($0, gradient: nil).g, r) }
        assertGradientsAgree(analytic, numeric, "gate h=\(h) dropout=\(dropout)")
    }

    func testGate() {
        checkGate(h: 16, dropout: false)
        checkGate(h: 11, dropout: false)
    }
    func testGateWithDropout() {
        checkGate(h: 16, dropout: true)
        checkGate(h: 11, dropout: true)
    }

    /// log softmax over instances (the coarse gate's log A_c): finite where the softmax underflows,
    /// and its backward (given A = softmax(s)) against finite differences.
    func testLogSoftmaxOverInstances() {
        let k = 3
        let n = 9
        var s = randomFloats(k * n, &generator, scale: 2)
        s[4] = 30
        s[5] = -200  // exp(−230) underflows: log A must stay finite and exact
        let r = randomFloats(k * n, &generator)
        func logSoftmax(_ input: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: k * n)
            input.withUnsafeBufferPointer { pi in
                out.withUnsafeMutableBufferPointer {
                    logSoftmaxRowsForward(
                        MatrixView(UnsafeMutablePointer(mutating: pi.baseAddress!), rows: k, cols: n),
                        into: MatrixView($0.baseAddress!, rows: k, cols: n))
                }
            }
            return out
        }
        let logA = logSoftmax(s)
        XCTAssertTrue(logA.allSatisfy(\.isFinite))
        XCTAssertEqual(logA[5], -230, accuracy: 1e-3)
        let a = withMatrix(s, rows: k, cols: n) { softmaxRowsForward($0) }
        for i in 0..<k * n where a[i] > 1e-30 { XCTAssertEqual(logA[i], log(a[i]), accuracy: 1e-5) }
        var ds = r
        a.withUnsafeBufferPointer { pa in
            ds.withUnsafeMutableBufferPointer {
                logSoftmaxRowsBackward(
                    probabilities: MatrixView(UnsafeMutablePointer(mutating: pa.baseAddress!), rows: k, cols: n),
                    gradient: MatrixView($0.baseAddress!, rows: k, cols: n))
            }
        }
        let numeric = numericGradient(at: s) { weightedSum(logSoftmax($0), r) }
        assertGradientsAgree(ds, numeric, atol: 1e-3, "log softmax")
    }

    func testSoftmaxOverInstances() {
        let k = 3
        let n = 9
        var s = randomFloats(k * n, &generator, scale: 2)
        s[4] = 30  // a dominant score: the stable form must not overflow
        let r = randomFloats(k * n, &generator)
        let a = withMatrix(s, rows: k, cols: n) { softmaxRowsForward($0) }
        for row in 0..<k { XCTAssertEqual(a[row * n..<(row + 1) * n].reduce(0, +), 1, accuracy: 1e-6) }
        var ds = r
        a.withUnsafeBufferPointer { pa in
            ds.withUnsafeMutableBufferPointer {
                softmaxRowsBackward(
                    output: MatrixView(UnsafeMutablePointer(mutating: pa.baseAddress!), rows: k, cols: n),
                    gradient: MatrixView($0.baseAddress!, rows: k, cols: n))
            }
        }
        let numeric = numericGradient(at: s) { weightedSum(withMatrix($0, rows: k, cols: n) { softmaxRowsForward($0) }, r) }
        assertGradientsAgree(ds, numeric, atol: 1e-4, "softmax")
    }

    func testRowNormalizationIncludingNearZeroRows() {
        let cols = 5
        // Rows: ordinary, tiny (norm 1e-14 < eps = 1e-12: z = x/eps), exactly zero.
        let x = randomFloats(cols, &generator) + randomFloats(cols, &generator, scale: 1e-14) + [Float](repeating: 0, count: cols)
        let r = randomFloats(3 * cols, &generator)
        func forward(_ input: [Float]) -> (z: [Float], norms: [Float]) {
            var z = [Float](repeating: 0, count: input.count)
            var norms = [Float](repeating: 0, count: 3)
            var copy = input
            copy.withUnsafeMutableBufferPointer { px in
                z.withUnsafeMutableBufferPointer { pz in
                    normalizeRowsForward(
                        MatrixView(px.baseAddress!, rows: 3, cols: cols),
                        into: MatrixView(pz.baseAddress!, rows: 3, cols: cols), norms: &norms)
                }
            }
            return (z, norms)
        }
        let (z, norms) = forward(x)
        XCTAssertEqual(norms[1], 1e-12)
        XCTAssertEqual(z[2 * cols..<3 * cols].map(abs).max(), 0)
        var dz = r
        var z2 = z
        var dx = [Float](repeating: 0, count: 3 * cols)
        dz.withUnsafeMutableBufferPointer { pg in
            z2.withUnsafeMutableBufferPointer { pz in
                dx.withUnsafeMutableBufferPointer { pd in
                    normalizeRowsBackward(
                        output: MatrixView(pz.baseAddress!, rows: 3, cols: cols), norms: norms,
                        gradient: MatrixView(pg.baseAddress!, rows: 3, cols: cols),
                        accumulateInto: MatrixView(pd.baseAddress!, rows: 3, cols: cols))
                }
            }
        }
        // Steps scaled to each row so the tiny rows stay below eps.
        let numeric = numericGradient(at: x, step: { $0 < cols ? 1e-3 : 1e-17 }) { weightedSum(forward($0).z, r) }
        assertGradientsAgree(Array(dx[0..<cols]), Array(numeric[0..<cols]), "normalize ordinary row")
        assertGradientsAgree(Array(dx[cols...]), Array(numeric[cols...]), rtol: 1e-2, atol: 1e-3 * 1e12, "normalize rows below eps")
        XCTAssertEqual(Double(dx[2 * cols]), Double(r[2 * cols]) * 1e12, accuracy: 1e7)
    }
}
