import CKernels
import Shared
import XCTest

/// The gate's AVX2 kernels (CKernels) give the Swift loops' bits: forward and backward, with and
/// without dropout masks, over widths with and without a tail shorter than 8, on inputs from ordinary
/// to beyond exp's clamp (±100), signed zeros, tanh's branch point ±0.625, infinities and NaN (NaN
/// where the Swift loop gives NaN, whichever NaN).
final class GateKernelTests: XCTestCase {
    let special: [Float] = [0, -0, 0.625, -0.625, 0.624_999_9, -0.624_999_9, 100, -100, 87.3, -87.3, .infinity, -.infinity, .nan, 1e-30]

    func matrix(_ rows: Int, _ cols: Int, _ generator: inout SeededGenerator, scale: Float) -> [Float] {
        (0..<rows * cols).map { i in
            i % 7 == 3 ? special[(i / 7) % special.count] : scale * (Float(generator.next() % 20_001) / 10_000 - 1)
        }
    }

    func masks(_ rows: Int, _ cols: Int, _ generator: inout SeededGenerator) -> [Float] {
        (0..<rows * 2 * cols).map { _ in generator.next() % 4 == 0 ? 0 : 1 / 0.75 }
    }

    /// Bit patterns, every NaN as one: which NaN an operation returns depends on its operands' order,
    /// which IEEE leaves open and LLVM may swap in commutative operations (both sides give NaN there).
    func bits(_ values: [Float]) -> [UInt32] { values.map { $0.isNaN ? Float.nan.bitPattern : $0.bitPattern } }

    func testRowKernelsMatchTheSwiftLoopsBitForBit() throws {
        try XCTSkipUnless(hmil_kernels_vectorised() == 1, "no AVX2 here: gateForward runs the Swift loop itself")
        var generator = SeededGenerator(seed: 21)
        let rows = 9
        for cols in [1, 7, 8, 13, 64, 128, 131] {
            for masked in [false, true] {
                // Inputs up to ±8 (and the specials) for the forward; the backward reads its outputs.
                let a = matrix(rows, cols, &generator, scale: 8)
                let b = matrix(rows, cols, &generator, scale: 8)
                let dg = matrix(rows, cols, &generator, scale: 1)
                var m = masks(rows, cols, &generator)
                var (a1, b1, g1, a2, b2, g2) = (a, b, [Float](repeating: 0, count: a.count), a, b, [Float](repeating: 0, count: a.count))
                m.withUnsafeMutableBufferPointer { mp in
                    let mv = masked ? MatrixView(mp.baseAddress!, rows: rows, cols: 2 * cols) : nil
                    func views(
                        _ x: inout [Float], _ y: inout [Float], _ z: inout [Float], _ body: (MatrixView, MatrixView, MatrixView) -> Void
                    ) {
                        x.withUnsafeMutableBufferPointer { xp in
                            y.withUnsafeMutableBufferPointer { yp in
                                z.withUnsafeMutableBufferPointer { zp in
                                    body(
                                        MatrixView(xp.baseAddress!, rows: rows, cols: cols),
                                        MatrixView(yp.baseAddress!, rows: rows, cols: cols),
                                        MatrixView(zp.baseAddress!, rows: rows, cols: cols))
                                }
                            }
                        }
                    }
                    views(&a1, &b1, &g1) { gateForward(a: $0, b: $1, into: $2, masks: mv) }
                    views(&a2, &b2, &g2) { gateForwardLoop(a: $0, b: $1, into: $2, masks: mv) }
                    XCTAssertEqual(bits(a1), bits(a2), "tanh, \(cols) columns, masks \(masked)")
                    XCTAssertEqual(bits(b1), bits(b2), "sigmoid, \(cols) columns, masks \(masked)")
                    XCTAssertEqual(bits(g1), bits(g2), "gate, \(cols) columns, masks \(masked)")

                    var (d1, d2) = (dg, dg)
                    views(&a1, &b1, &d1) { gateBackward(a: $0, b: $1, gradient: $2, masks: mv) }
                    views(&a2, &b2, &d2) { gateBackwardLoop(a: $0, b: $1, gradient: $2, masks: mv) }
                    XCTAssertEqual(bits(a1), bits(a2), "∂a, \(cols) columns, masks \(masked)")
                    XCTAssertEqual(bits(b1), bits(b2), "∂b, \(cols) columns, masks \(masked)")
                }
            }
        }
    }

    /// Views with a row stride wider than their columns (the models' gate halves of one buffer).
    func testStridedHalvesOfOneBuffer() throws {
        try XCTSkipUnless(hmil_kernels_vectorised() == 1, "no AVX2 here")
        var generator = SeededGenerator(seed: 22)
        let (rows, h) = (5, 12)
        let y = matrix(rows, 2 * h, &generator, scale: 4)
        func run(_ forward: (MatrixView, MatrixView, MatrixView) -> Void) -> [Float] {
            var buffer = y + [Float](repeating: 0, count: rows * h)
            buffer.withUnsafeMutableBufferPointer { p in
                let whole = MatrixView(p.baseAddress!, rows: rows, cols: 2 * h)
                forward(whole.columns(0..<h), whole.columns(h..<2 * h), MatrixView(p.baseAddress! + rows * 2 * h, rows: rows, cols: h))
            }
            return buffer
        }
        XCTAssertEqual(
            bits(run { gateForward(a: $0, b: $1, into: $2) }),
            bits(run { gateForwardLoop(a: $0, b: $1, into: $2) }))
    }
}
