import Foundation
import Shared
import XCTest

/// Asserts |a − b| ≤ atol + rtol·|b| elementwise, reporting the worst element.
func assertClose(_ a: [Float], _ b: [Float], rtol: Float = 1e-4, atol: Float = 1e-6, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): count", file: file, line: line)
    guard a.count == b.count else { return }
    var worst = -1, worstExcess: Float = 0
    for i in a.indices {
        let excess = abs(a[i] - b[i]) - (atol + rtol * abs(b[i]))
        if !(excess <= 0), worst < 0 || excess > worstExcess || excess.isNaN { worst = i; worstExcess = excess }
    }
    if worst >= 0 {
        XCTFail("\(what): element \(worst) is \(a[worst]), expected \(b[worst]) (rtol \(rtol), atol \(atol))", file: file, line: line)
    }
}

/// Gradients compared relative to the tensor's own scale: |a − b| ≤ tol·max|b| + floor.
func assertGradientClose(_ a: [Float], _ b: [Float], tolerance: Float = 2e-4, floor: Float = 1e-6, _ what: String,
                         file: StaticString = #filePath, line: UInt = #line) {
    let scale = b.map(abs).max() ?? 0
    assertClose(a, b, rtol: 0, atol: tolerance * scale + floor, what, file: file, line: line)
}

func fixtureURL(_ area: String, _ name: String) -> URL {
    Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/\(area)")!
}

func randomFloats(_ count: Int, _ generator: inout SeededGenerator, scale: Double = 1) -> [Float] {
    (0..<count).map { _ in Float(generator.nextNormal() * scale) }
}

/// L = Σ ⟨r, output⟩ over every field, in Double.
func upstreamLoss(_ out: BagOutput, _ r: BagOutputGradient) -> Double {
    func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
    return dot(out.coarseLogits, r.coarseLogits) + dot(out.fineLogits, r.fineLogits)
        + dot(out.coarseAttention, r.coarseAttention) + dot(out.fineAttention, r.fineAttention)
        + dot(out.embedding, r.embedding)
}

/// A random upstream gradient shaped like `out`.
func randomUpstream(like out: BagOutput, _ generator: inout SeededGenerator) -> BagOutputGradient {
    BagOutputGradient(coarseLogits: randomFloats(out.coarseLogits.count, &generator),
                      fineLogits: randomFloats(out.fineLogits.count, &generator),
                      coarseAttention: randomFloats(out.coarseAttention.count, &generator),
                      fineAttention: randomFloats(out.fineAttention.count, &generator),
                      embedding: randomFloats(out.embedding.count, &generator))
}
