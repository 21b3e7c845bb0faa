import Foundation
import Shared
import XCTest

/// The cblas wrappers against naive loops, for every transpose combination, strided views
/// (blocks of columns, as the model reads h_f out of Y) and accumulation (beta = 1).
final class BLASTests: XCTestCase {
    func testGemmAllTransposesOnStridedViews() {
        var g = SeededGenerator(seed: 3)
        let m = 5
        let n = 7
        let k = 4
        let pad = 3
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let (ar, ac) = transposeA ? (k, m) : (m, k)
                let (br, bc) = transposeB ? (n, k) : (k, n)
                var a = randomFloats(ar * (ac + pad), &g)
                var b = randomFloats(br * (bc + pad), &g)
                var c = randomFloats(m * (n + pad), &g)
                let c0 = c
                func aAt(_ i: Int, _ l: Int) -> Float { transposeA ? a[l * (ac + pad) + i] : a[i * (ac + pad) + l] }
                func bAt(_ l: Int, _ j: Int) -> Float { transposeB ? b[j * (bc + pad) + l] : b[l * (bc + pad) + j] }
                a.withUnsafeMutableBufferPointer { pa in
                    b.withUnsafeMutableBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            gemm(
                                MatrixView(pa.baseAddress!, rows: ar, cols: ac + pad).columns(0..<ac), transposeA: transposeA,
                                MatrixView(pb.baseAddress!, rows: br, cols: bc + pad).columns(0..<bc), transposeB: transposeB,
                                into: MatrixView(pc.baseAddress!, rows: m, cols: n + pad).columns(0..<n), alpha: 2, beta: 1)
                        }
                    }
                }
                for i in 0..<m {
                    for j in 0..<n + pad {
                        var expected = c0[i * (n + pad) + j]
                        if j < n { expected += 2 * (0..<k).reduce(0) { $0 + aAt(i, $1) * bAt($1, j) } }
                        XCTAssertEqual(c[i * (n + pad) + j], expected, accuracy: 1e-5, "tA \(transposeA) tB \(transposeB) [\(i),\(j)]")
                    }
                }
            }
        }
    }

    func testDoubleGemmAllTransposes() {
        var g = SeededGenerator(seed: 5)
        let m = 4
        let n = 6
        let k = 3
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let (ar, ac) = transposeA ? (k, m) : (m, k)
                let (br, bc) = transposeB ? (n, k) : (k, n)
                var a = (0..<ar * ac).map { _ in g.nextNormal() }
                var b = (0..<br * bc).map { _ in g.nextNormal() }
                var c = (0..<m * n).map { _ in g.nextNormal() }
                let c0 = c
                func aAt(_ i: Int, _ l: Int) -> Double { transposeA ? a[l * ac + i] : a[i * ac + l] }
                func bAt(_ l: Int, _ j: Int) -> Double { transposeB ? b[j * bc + l] : b[l * bc + j] }
                a.withUnsafeMutableBufferPointer { pa in
                    b.withUnsafeMutableBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            gemm(
                                DoubleMatrixView(pa.baseAddress!, rows: ar, cols: ac), transposeA: transposeA,
                                DoubleMatrixView(pb.baseAddress!, rows: br, cols: bc), transposeB: transposeB,
                                into: DoubleMatrixView(pc.baseAddress!, rows: m, cols: n), alpha: 0.5, beta: 1)
                        }
                    }
                }
                for i in 0..<m {
                    for j in 0..<n {
                        let expected = c0[i * n + j] + 0.5 * (0..<k).reduce(0) { $0 + aAt(i, $1) * bAt($1, j) }
                        XCTAssertEqual(c[i * n + j], expected, accuracy: 1e-12, "tA \(transposeA) tB \(transposeB) [\(i),\(j)]")
                    }
                }
            }
        }
    }

    func testGemvAndColumnSums() {
        var g = SeededGenerator(seed: 4)
        var a = randomFloats(4 * 6, &g)
        var ones = [Float](repeating: 1, count: 6)
        var sums = [Float](repeating: 10, count: 6)
        var rowDots = [Float](repeating: 0, count: 4)
        a.withUnsafeMutableBufferPointer { pa in
            let view = MatrixView(pa.baseAddress!, rows: 4, cols: 6)
            gemv(view, transposeA: true, &ones, into: &sums, beta: 1)
            gemv(view, &ones, into: &rowDots)
        }
        for j in 0..<6 { XCTAssertEqual(sums[j], 10 + (0..<4).reduce(0) { $0 + a[$1 * 6 + j] }, accuracy: 1e-5) }
        for i in 0..<4 { XCTAssertEqual(rowDots[i], a[i * 6..<(i + 1) * 6].reduce(0, +), accuracy: 1e-5) }
    }

    func testThreadCountIsSettable() {
        let before = BLAS.threadCount
        BLAS.threadCount = 1
        XCTAssertEqual(BLAS.threadCount, 1)
        BLAS.threadCount = before
        XCTAssertEqual(BLAS.threadCount, before)
    }
}

/// The vectorised exp, tanh and sigmoid against libm (Double), over ordinary and extreme inputs.
final class VectorMathTests: XCTestCase {
    func testAgainstLibm() {
        var inputs: [Float] = [0, -0, 1e-30, -1e-7, 0.3, 0.62, 0.63, -0.625, 1, 5, -5, 9, 20, -20, 87, -87, 88, -88, 100, -100, 1e4, -1e4]
        var g = SeededGenerator(seed: 9)
        inputs += randomFloats(2000, &g, scale: 4)
        for x in inputs {
            let d = Double(x)
            let e = exp(min(d, Double(Float(88.3))))  // vexp saturates at exp(88.3) instead of overflowing
            if d > -87 { XCTAssertEqual(Double(fastExp(x)), e, accuracy: 3e-7 * e, "exp(\(x))") }
            XCTAssertEqual(Double(fastTanh(x)), tanh(d), accuracy: 2e-7 + 2e-7 * abs(tanh(d)), "tanh(\(x))")
            XCTAssertEqual(Double(fastSigmoid(x)), 1 / (1 + exp(-d)), accuracy: 2e-7, "sigmoid(\(x))")
        }
        XCTAssertEqual(fastTanh(1e-30), 1e-30)
        XCTAssertFalse(fastExp(-1e4).isNaN)
        XCTAssertFalse(fastSigmoid(-1e4).isNaN)
    }
}
