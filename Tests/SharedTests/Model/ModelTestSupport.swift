import Foundation
import Shared
import XCTest

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
    BagOutputGradient(
        coarseLogits: randomFloats(out.coarseLogits.count, &generator),
        fineLogits: randomFloats(out.fineLogits.count, &generator),
        coarseAttention: randomFloats(out.coarseAttention.count, &generator),
        fineAttention: randomFloats(out.fineAttention.count, &generator),
        embedding: randomFloats(out.embedding.count, &generator))
}
