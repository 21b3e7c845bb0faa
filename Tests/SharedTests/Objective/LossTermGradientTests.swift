import Shared
import XCTest

/// Finite-difference checks of every term of DESIGN §4 against its analytic gradient.
final class LossTermGradientTests: XCTestCase {
    typealias FD = ObjectiveFiniteDifference
    let parents = objectiveBRACSParents

    func testCrossEntropyGradient() {
        var random = ObjectiveRandom(seed: 1)
        for label in [0, 3, 6] {
            let logits = random.normals(7, scale: 3)
            let result = CrossEntropyLoss.evaluate(logits: logits, label: label)
            FD.check(
                { CrossEntropyLoss.evaluate(logits: $0, label: label).value }, at: logits,
                gradient: result.gradient, "CE label \(label)")
        }
    }

    func testCrossEntropyValueIsStableForLargeLogits() {
        let result = CrossEntropyLoss.evaluate(logits: [Float(1000), 0, -1000], label: 1)
        XCTAssertEqual(result.value, 1000, accuracy: 1e-9)
        XCTAssertEqual(result.gradient[0], 1, accuracy: 1e-12)
        XCTAssertEqual(result.gradient[1], -1, accuracy: 1e-12)
    }

    func testBagAlignmentGradientBothForms() {
        var random = ObjectiveRandom(seed: 2)
        for form in [ObjectiveConfig.BagAlignmentForm.nll, .reference] {
            for coarseLabel in 0..<3 {
                let logits = random.normals(7, scale: 2)
                let result = BagAlignmentLoss.evaluate(
                    fineLogits: logits, coarseLabel: coarseLabel, parents: parents,
                    coarseCount: 3, form: form)
                FD.check(
                    {
                        BagAlignmentLoss.evaluate(
                            fineLogits: $0, coarseLabel: coarseLabel, parents: self.parents,
                            coarseCount: 3, form: form
                        ).value
                    },
                    at: logits, gradient: result.gradient, "L_bag \(form) y=\(coarseLabel)")
            }
        }
    }

    func testBagAlignmentForms() {
        let logits: [Float] = [2, 0, -1, 0.5, 1, -2, 0]
        let q = FineToCoarse.probabilities(fineLogits: logits, parents: parents, coarseCount: 3)
        XCTAssertEqual(q.reduce(0, +), 1, accuracy: 1e-12)
        let nll = BagAlignmentLoss.evaluate(fineLogits: logits, coarseLabel: 1, parents: parents, coarseCount: 3, form: .nll)
        XCTAssertEqual(nll.value, -log(q[1]), accuracy: 1e-12)
        let reference = BagAlignmentLoss.evaluate(fineLogits: logits, coarseLabel: 1, parents: parents, coarseCount: 3, form: .reference)
        let lse = log(q.map { exp($0) }.reduce(0, +))
        XCTAssertEqual(reference.value, lse - q[1], accuracy: 1e-12)
    }

    func testBagAlignmentNLLStaysFiniteWhenTheTrueClassIsImprobable() {
        // q[2] = e^-200-ish underflows in a naive log(sum of probabilities).
        let logits: [Float] = [100, 0, 0, 0, 0, -100, -100]
        let result = BagAlignmentLoss.evaluate(fineLogits: logits, coarseLabel: 2, parents: parents, coarseCount: 3, form: .nll)
        XCTAssertEqual(result.value, 200 - log(2), accuracy: 1e-9)
        XCTAssertTrue(result.gradient.allSatisfy { $0.isFinite })
    }

    func testAttentionMatchingGradient() {
        var random = ObjectiveRandom(seed: 3)
        for n in [1, 4, 11] {
            let coarse = random.simplexRows(rows: 3, width: n)
            let fine = random.simplexRows(rows: 7, width: n)
            let result = AttentionMatchingLoss.evaluate(
                coarseAttention: coarse, fineAttention: fine, instanceCount: n,
                parents: parents, coarseCount: 3)
            FD.check(
                {
                    AttentionMatchingLoss.evaluate(
                        coarseAttention: $0, fineAttention: fine, instanceCount: n,
                        parents: self.parents, coarseCount: 3
                    ).value
                },
                at: coarse, gradient: result.coarseGradient, step: 1e-4, "∂L_att/∂A_c N=\(n)")
            FD.check(
                {
                    AttentionMatchingLoss.evaluate(
                        coarseAttention: coarse, fineAttention: $0, instanceCount: n,
                        parents: self.parents, coarseCount: 3
                    ).value
                },
                at: fine, gradient: result.fineGradient, step: 1e-4, "∂L_att/∂A_f N=\(n)")
        }
    }

    /// Zero columns: cos(0, y) = 0 (torch's eps clamp). Inside the eps ball the value is linear in the
    /// zero vector, so a step well below eps (1e-8) measures the exact one-sided derivative ŷ/eps.
    func testAttentionMatchingZeroColumns() {
        var random = ObjectiveRandom(seed: 4)
        let n = 5
        var coarse = random.simplexRows(rows: 3, width: n)
        var fine = random.simplexRows(rows: 7, width: n)
        for k in 0..<3 { coarse[k * n + 1] = 0 }  // A_c column 1 zero
        for j in 0..<7 { fine[j * n + 3] = 0 }  // Ã column 3 zero
        for k in 0..<3 { coarse[k * n + 4] = 0 }  // column 4 zero on both sides
        for j in 0..<7 { fine[j * n + 4] = 0 }
        let result = AttentionMatchingLoss.evaluate(
            coarseAttention: coarse, fineAttention: fine, instanceCount: n,
            parents: parents, coarseCount: 3)
        XCTAssertTrue(result.value.isFinite)
        XCTAssertTrue(result.coarseGradient.allSatisfy { $0.isFinite } && result.fineGradient.allSatisfy { $0.isFinite })
        // Columns 1, 3, 4 each contribute 1 − 0 to the sum.
        let others = AttentionMatchingLoss.evaluate(
            coarseAttention: [0, 2].flatMap { c in (0..<3).map { coarse[$0 * n + c] } }.transposed(rows: 2, columns: 3),
            fineAttention: [0, 2].flatMap { c in (0..<7).map { fine[$0 * n + c] } }.transposed(rows: 2, columns: 7),
            instanceCount: 2, parents: parents, coarseCount: 3)
        XCTAssertEqual(result.value, (others.value * 2 + 3) / Double(n), accuracy: 1e-12)

        let coarseZero = [1, 4].flatMap { c in (0..<3).map { $0 * n + c } }
        let fineZero = [3, 4].flatMap { c in (0..<7).map { $0 * n + c } }
        let f = { (c: [Float], a: [Float]) in
            AttentionMatchingLoss.evaluate(
                coarseAttention: c, fineAttention: a, instanceCount: n,
                parents: self.parents, coarseCount: 3
            ).value
        }
        FD.check(
            { f($0, fine) }, at: coarse, gradient: result.coarseGradient, indices: coarseZero, step: 1e-10,
            relative: 1e-6, absolute: 1e-3, "∂L_att/∂A_c at zero columns")
        FD.check(
            { f(coarse, $0) }, at: fine, gradient: result.fineGradient, indices: fineZero, step: 1e-10,
            relative: 1e-6, absolute: 1e-3, "∂L_att/∂A_f at zero columns")
        let coarseRest = coarse.indices.filter { !coarseZero.contains($0) }
        let fineRest = fine.indices.filter { !fineZero.contains($0) }
        FD.check(
            { f($0, fine) }, at: coarse, gradient: result.coarseGradient, indices: coarseRest, step: 1e-4,
            "∂L_att/∂A_c elsewhere")
        FD.check(
            { f(coarse, $0) }, at: fine, gradient: result.fineGradient, indices: fineRest, step: 1e-4,
            "∂L_att/∂A_f elsewhere")
        // Both sides zero: no gradient at all.
        for k in 0..<3 { XCTAssertEqual(result.coarseGradient[k * n + 4], 0) }
        for j in 0..<7 { XCTAssertEqual(result.fineGradient[j * n + 4], 0) }
    }

    /// A batch where FEA (3) and DCIS (5) have a single bag each: their views' only positives are
    /// the other views of their own bag.
    func testSupervisedContrastiveGradient() {
        var random = ObjectiveRandom(seed: 5)
        let width = 6
        let kf = 7
        let labels = [0, 0, 3, 5, 6, 6]
        let z = labels.map { _ in random.unitRows(rows: kf, width: width) }
        for temperature in [1.0, 0.55, 0.1] {
            let result = SupervisedContrastiveLoss.evaluate(
                embeddings: z, width: width, labels: labels,
                temperature: temperature)
            XCTAssertTrue(result.value.isFinite && result.value > 0)
            for b in [0, 2, 3] {
                let f = { (zb: [Float]) -> Double in
                    var zs = z
                    zs[b] = zb
                    return SupervisedContrastiveLoss.evaluate(
                        embeddings: zs, width: width, labels: labels,
                        temperature: temperature
                    ).value
                }
                // The release detaches the row max; with its 1e-6 in the log that leaves a
                // discrepancy of about 1e-6/denominator, far below this tolerance.
                FD.check(
                    f, at: z[b], gradient: result.gradients[b], step: 1e-3, relative: 1e-4, absolute: 1e-6,
                    "∂L_con/∂z bag \(b) τ=\(temperature)")
            }
        }
    }

    func testSupervisedContrastiveSingleViewWithoutPositivesContributesZero() {
        // Kf = 1: the single-member class's bag has no positive at all; the release gives it 0.
        let z: [[Float]] = [[1, 0], [0.6, 0.8], [0, 1]]
        let all = SupervisedContrastiveLoss.evaluate(
            embeddings: z, width: 2, labels: [0, 0, 1], temperature: 0.5,
            dividedByBatchSize: false)
        XCTAssertTrue(all.value.isFinite)
        // Anchors 0 and 1 are each other's only positive; anchor 2 adds 0 to the sum of 3.
        let pair = { (i: Int, j: Int) -> Double in
            let s = { (a: Int, b: Int) in Double(z[a][0] * z[b][0] + z[a][1] * z[b][1]) / 0.5 }
            let m = 1 / 0.5
            let d = (0..<3).filter { $0 != i }.map { exp(s(i, $0) - m) }.reduce(0, +) + 1e-6
            return -(0.5 / 0.1) * (s(i, j) - m - log(d)) / (1 + 1e-6)
        }
        XCTAssertEqual(all.value, (pair(0, 1) + pair(1, 0)) / 3, accuracy: 1e-9)
        for b in 0..<3 {
            let f = { (zb: [Float]) -> Double in
                var zs = z
                zs[b] = zb
                return SupervisedContrastiveLoss.evaluate(
                    embeddings: zs, width: 2, labels: [0, 0, 1], temperature: 0.5,
                    dividedByBatchSize: false
                ).value
            }
            ObjectiveFiniteDifference.check(f, at: z[b], gradient: all.gradients[b], "∂L_con/∂z Kf=1 bag \(b)")
        }
    }

    /// BRACS with its last two fine classes moved under coarse classes of their own: 5 and 6 have no siblings.
    let parentsWithOnlyChildren = [0, 0, 0, 1, 1, 2, 3]

    func testProbabilityTargetCrossEntropyGradient() {
        var random = ObjectiveRandom(seed: 6)
        let logits = random.normals(7, scale: 3).map(Double.init)
        let raw = (0..<7).map { _ in random.generator.nextUniform() }
        let target = raw.map { $0 / raw.reduce(0, +) }
        let result = CrossEntropyLoss.evaluate(logits: logits, target: target)
        XCTAssertEqual(
            result.value, -zip(target, logits).map { $0 * ($1 - Softmax.logSumExp(logits)) }.reduce(0, +),
            accuracy: 1e-12)
        FD.check(
            { CrossEntropyLoss.evaluate(logits: $0.map(Double.init), target: target).value },
            at: logits.map(Float.init), gradient: result.gradient, "soft-target CE")
    }

    func testSiblingSmoothingGradient() {
        var random = ObjectiveRandom(seed: 7)
        for parents in [parents, parentsWithOnlyChildren] {
            for epsilon in [0.05, 0.2, 0.9] {
                for label in 0..<7 {
                    let logits = random.normals(7, scale: 3)
                    let result = SiblingLabelSmoothing.evaluate(logits: logits, label: label, parents: parents, epsilon: epsilon)
                    FD.check(
                        { SiblingLabelSmoothing.evaluate(logits: $0, label: label, parents: parents, epsilon: epsilon).value },
                        at: logits, gradient: result.gradient, "sibling smoothing ε=\(epsilon) y=\(label) π=\(parents)")
                }
            }
        }
    }

    func testSiblingTargets() {
        // Fine class 1 of BRACS has siblings 0 and 2; class 3 has sibling 4.
        XCTAssertEqual(SiblingLabelSmoothing.target(label: 1, parents: parents, epsilon: 0.2), [0.1, 0.8, 0.1, 0, 0, 0, 0])
        XCTAssertEqual(SiblingLabelSmoothing.target(label: 3, parents: parents, epsilon: 0.2), [0, 0, 0, 0.8, 0.2, 0, 0])
        // Classes without siblings keep the one-hot target.
        XCTAssertEqual(SiblingLabelSmoothing.target(label: 5, parents: parentsWithOnlyChildren, epsilon: 0.2), [0, 0, 0, 0, 0, 1, 0])
        XCTAssertEqual(SiblingLabelSmoothing.target(label: 6, parents: parentsWithOnlyChildren, epsilon: 0.5), [0, 0, 0, 0, 0, 0, 1])
        for label in 0..<7 {
            XCTAssertEqual(SiblingLabelSmoothing.target(label: label, parents: parents, epsilon: 0.3).reduce(0, +), 1, accuracy: 1e-15)
        }
    }

    /// ε = 0 and a class without siblings are the plain cross-entropy, bit for bit.
    func testSiblingSmoothingWithoutMovedMassIsPlainCrossEntropy() {
        var random = ObjectiveRandom(seed: 8)
        for label in 0..<7 {
            let logits = random.normals(7, scale: 3)
            let plain = CrossEntropyLoss.evaluate(logits: logits, label: label)
            let zero = SiblingLabelSmoothing.evaluate(logits: logits, label: label, parents: parents, epsilon: 0)
            XCTAssertEqual(zero.value, plain.value)
            XCTAssertEqual(zero.gradient, plain.gradient)
        }
        let logits = random.normals(7, scale: 3)
        for label in [5, 6] {
            let plain = CrossEntropyLoss.evaluate(logits: logits, label: label)
            let alone = SiblingLabelSmoothing.evaluate(logits: logits, label: label, parents: parentsWithOnlyChildren, epsilon: 0.4)
            XCTAssertEqual(alone.value, plain.value)
            XCTAssertEqual(alone.gradient, plain.gradient)
        }
        // With siblings and ε > 0 the loss does change.
        let smoothed = SiblingLabelSmoothing.evaluate(logits: logits, label: 0, parents: parents, epsilon: 0.4)
        XCTAssertNotEqual(smoothed.value, CrossEntropyLoss.evaluate(logits: logits, label: 0).value)
    }

    func testSiblingSmoothingIsStableForLargeLogits() {
        // t = [0.1, 0.8, 0.1]; lse = 1000 up to e^-1000: value = 0.1·0 + 0.8·1000 + 0.1·2000.
        let result = SiblingLabelSmoothing.evaluate(logits: [1000, 0, -1000], label: 1, parents: [0, 0, 0], epsilon: 0.2)
        XCTAssertEqual(result.value, 1000, accuracy: 1e-9)
        XCTAssertEqual(result.gradient[0], 0.9, accuracy: 1e-12)
        XCTAssertEqual(result.gradient[1], -0.8, accuracy: 1e-12)
        XCTAssertEqual(result.gradient[2], -0.1, accuracy: 1e-12)
        // Large logits of every sign through the finite-difference check too (the step is the representable difference).
        let logits: [Float] = [400, -350, 120, 399, -800, 0, 401]
        for label in [0, 3, 5] {
            let r = SiblingLabelSmoothing.evaluate(logits: logits, label: label, parents: parents, epsilon: 0.3)
            XCTAssertTrue(r.value.isFinite && r.gradient.allSatisfy(\.isFinite))
            FD.check(
                { SiblingLabelSmoothing.evaluate(logits: $0, label: label, parents: self.parents, epsilon: 0.3).value },
                at: logits, gradient: r.gradient, "large logits y=\(label)")
        }
    }

    func testSchedules() {
        let t = TemperatureSchedule()
        XCTAssertEqual(t.temperature(epoch: 0, epochCount: 200), 1.0, accuracy: 1e-15)
        XCTAssertEqual(t.temperature(epoch: 100, epochCount: 200), 0.1, accuracy: 1e-15)
        XCTAssertEqual(t.temperature(epoch: 50, epochCount: 200), 0.55, accuracy: 1e-15)
        XCTAssertEqual(CurriculumSchedule.quadratic.alpha(epoch: 0, epochCount: 200), 1)
        XCTAssertEqual(CurriculumSchedule.quadratic.alpha(epoch: 100, epochCount: 200), 0.75)
        XCTAssertEqual(CurriculumSchedule.linear.alpha(epoch: 100, epochCount: 200), 0.5)
        XCTAssertEqual(CurriculumSchedule.linear.alpha(epoch: 150, epochCount: 200), 0.25)
    }
}

extension Array where Element == Float {
    /// Column-major gathered values [columns × rows] → row-major [rows, columns].
    fileprivate func transposed(rows: Int, columns: Int) -> [Float] {
        // self holds, for each of `rows` gathered columns, `columns` values; return [columns, rows].
        var out = [Float](repeating: 0, count: count)
        for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = self[r * columns + c] } }
        return out
    }
}
