import Foundation
import Shared
import XCTest

final class ObjectiveTests: XCTestCase {
    typealias FD = ObjectiveFiniteDifference
    let parents = objectiveBRACSParents

    func randomBatch(seed: UInt64) -> ([BagOutput], [Int]) {
        var random = ObjectiveRandom(seed: seed)
        let sizes = [4, 1, 7, 3, 5]
        let labels = [1, 2, 4, 6, 6]  // fine classes 1, 2, 4 have a single bag each
        return (sizes.map { random.bagOutput(instances: $0, coarse: 3, fine: 7, width: 5) }, labels)
    }

    /// The total of both presets, differentiated numerically through every output field of two bags,
    /// at the start, middle and end of the schedule.
    func testTotalGradientBothPresetsAcrossTheSchedule() {
        let (outputs, labels) = randomBatch(seed: 11)
        for preset in [ObjectiveConfig.reference, .hmil] {
            let objective = Objective(config: preset, parents: parents, coarseCount: 3, epochCount: 40)
            for epoch in [0, 20, 39] {
                let loss = objective.batchLoss(outputs, fineLabels: labels, epoch: epoch)
                let what = "\(preset.preset) epoch \(epoch)"
                for b in [1, 3] {
                    let g = loss.gradients[b]
                    let total = { (edit: (inout BagOutput) -> Void) -> Double in
                        var edited = outputs
                        edit(&edited[b])
                        return objective.batchLoss(edited, fineLabels: labels, epoch: epoch).total
                    }
                    FD.check(
                        { v in total { $0.coarseLogits = v } }, at: outputs[b].coarseLogits,
                        gradient: g.coarseLogits.map(Double.init), relative: 1e-3, "\(what) ∂/∂coarse logits")
                    FD.check(
                        { v in total { $0.fineLogits = v } }, at: outputs[b].fineLogits,
                        gradient: g.fineLogits.map(Double.init), relative: 1e-3, "\(what) ∂/∂fine logits")
                    FD.check(
                        { v in total { $0.coarseAttention = v } }, at: outputs[b].coarseAttention,
                        gradient: g.coarseAttention.map(Double.init), step: 1e-4, relative: 1e-3, "\(what) ∂/∂A_c")
                    FD.check(
                        { v in total { $0.fineAttention = v } }, at: outputs[b].fineAttention,
                        gradient: g.fineAttention.map(Double.init), step: 1e-4, relative: 1e-3, "\(what) ∂/∂A_f")
                    FD.check(
                        { v in total { $0.embedding = v } }, at: outputs[b].embedding,
                        gradient: g.embedding.map(Double.init), relative: 1e-3, absolute: 1e-5, "\(what) ∂/∂z")
                }
                if preset.attentionWeight == 0 {
                    XCTAssertTrue(loss.gradients.allSatisfy { $0.coarseAttention.allSatisfy { $0 == 0 } }, what)
                }
            }
        }
    }

    func testTotalIsTheWeightedSumOfTerms() {
        let (outputs, labels) = randomBatch(seed: 12)
        var config = ObjectiveConfig.hmil
        config.coarseWeight = 0.7
        config.fineWeight = 1.3
        config.bagAlignmentWeight = 0.4
        config.attentionWeight = 2.5
        config.contrastiveWeight = 0.6
        config.curriculum = .linear
        let objective = Objective(config: config, parents: parents, coarseCount: 3, epochCount: 10)
        let loss = objective.batchLoss(outputs, fineLabels: labels, epoch: 4)
        let t = loss.terms
        XCTAssertEqual(loss.schedule.alpha, 0.6, accuracy: 1e-15)
        let expected = 0.7 * 0.6 * t.coarse + 1.3 * t.fine + 0.4 * t.bagAlignment + 2.5 * t.attention + 0.6 * 0.4 * t.contrastive
        XCTAssertEqual(loss.total, expected, accuracy: 1e-12)
        XCTAssertTrue([t.coarse, t.fine, t.bagAlignment, t.attention, t.contrastive].allSatisfy { $0 > 0 })
    }

    func testFlatObjectiveIsFineCrossEntropyOnly() {
        var random = ObjectiveRandom(seed: 13)
        let outputs = [3, 6].map { n in
            BagOutput(
                instanceCount: n, coarseLogits: [], fineLogits: random.normals(4), coarseAttention: [],
                fineAttention: random.simplexRows(rows: 1, width: n), embedding: [], embeddingWidth: 0)
        }
        let objective = Objective(config: .flat, parents: [], coarseCount: 0, epochCount: 5)
        let loss = objective.batchLoss(outputs, fineLabels: [2, 0], epoch: 3)
        let ce = zip(outputs, [2, 0]).map { CrossEntropyLoss.evaluate(logits: $0.fineLogits, label: $1) }
        XCTAssertEqual(loss.total, (ce[0].value + ce[1].value) / 2, accuracy: 1e-12)
        XCTAssertEqual(loss.terms, LossTerms(fine: loss.total))
        XCTAssertEqual(loss.gradients[1].fineLogits, ce[1].gradient.map { Float($0 / 2) })
        XCTAssertEqual(loss.gradients[0].fineAttention, [0, 0, 0])
    }

    /// The options of the method study: sibling smoothing and other weights, through the whole batch
    /// total, numerically, for HMIL (a term switched off included) and the flat objective.
    func testTotalGradientWithSiblingSmoothingAndWeights() {
        let (outputs, labels) = randomBatch(seed: 14)
        var hmil = ObjectiveConfig.hmil
        hmil.siblingSmoothing = 0.2
        hmil.coarseWeight = 0.5
        hmil.bagAlignmentWeight = 2
        hmil.contrastiveWeight = 0
        var flat = ObjectiveConfig.flat
        flat.siblingSmoothing = 0.3
        for config in [hmil, flat] {
            let objective = Objective(config: config, parents: parents, coarseCount: 3, epochCount: 40)
            let loss = objective.batchLoss(outputs, fineLabels: labels, epoch: 20)
            for b in [0, 3] {
                let total = { (v: [Float]) -> Double in
                    var edited = outputs
                    edited[b].fineLogits = v
                    return objective.batchLoss(edited, fineLabels: labels, epoch: 20).total
                }
                FD.check(
                    total, at: outputs[b].fineLogits, gradient: loss.gradients[b].fineLogits.map(Double.init),
                    relative: 1e-3, "\(config.preset) ε=\(config.siblingSmoothing) ∂/∂fine logits bag \(b)")
            }
            // L_f is the mean smoothed cross-entropy.
            let smoothed = zip(outputs, labels).map {
                SiblingLabelSmoothing.evaluate(logits: $0.fineLogits, label: $1, parents: parents, epsilon: config.siblingSmoothing).value
            }
            XCTAssertEqual(loss.terms.fine, smoothed.reduce(0, +) / Double(labels.count), accuracy: 1e-12)
        }
    }

    /// w_con = 0 removes the batch-level term: every epoch's gradient is each bag's own `bagLoss`, and
    /// it equals `batchLoss`'s (which still evaluates SupCon, with weight 0) exactly.
    func testZeroContrastiveWeightLeavesNoBatchTerm() {
        let (outputs, labels) = randomBatch(seed: 15)
        var config = ObjectiveConfig.hmil
        config.contrastiveWeight = 0
        let objective = Objective(config: config, parents: parents, coarseCount: 3, epochCount: 10)
        let withSupCon = Objective(config: .hmil, parents: parents, coarseCount: 3, epochCount: 10)
        XCTAssertFalse(withSupCon.hasBatchTerm(epoch: 0), "α = 1 at epoch 0")
        XCTAssertTrue((1..<10).allSatisfy { withSupCon.hasBatchTerm(epoch: $0) })
        XCTAssertFalse((0..<10).contains { objective.hasBatchTerm(epoch: $0) })
        XCTAssertFalse(Objective(config: .flat, parents: parents, coarseCount: 3, epochCount: 10).hasBatchTerm(epoch: 5))
        for epoch in [1, 5, 9] {
            let batch = objective.batchLoss(outputs, fineLabels: labels, epoch: epoch)
            XCTAssertGreaterThan(batch.terms.contrastive, 0)
            var total = 0.0
            for (b, output) in outputs.enumerated() {
                let bag = objective.bagLoss(output, fineLabel: labels[b], epoch: epoch, batchSize: outputs.count)
                total += bag.weighted
                let g = batch.gradients[b]
                XCTAssertEqual(bag.gradient.coarseLogits, g.coarseLogits)
                XCTAssertEqual(bag.gradient.fineLogits, g.fineLogits)
                XCTAssertEqual(bag.gradient.coarseAttention, g.coarseAttention)
                XCTAssertEqual(bag.gradient.fineAttention, g.fineAttention)
                XCTAssertEqual(bag.gradient.embedding, g.embedding)
                XCTAssertTrue(bag.gradient.embedding.allSatisfy { $0 == 0 })
            }
            XCTAssertEqual(batch.total, total, accuracy: 1e-12)
        }
    }

    func testFineToCoarseProbabilitiesForEvaluation() {
        let q = FineToCoarse.probabilities(fineLogits: [0, 0, 0, 0, 0, 0, log(2)], parents: parents, coarseCount: 3)
        XCTAssertEqual(q[0], 3.0 / 8, accuracy: 1e-7)
        XCTAssertEqual(q[1], 2.0 / 8, accuracy: 1e-7)
        XCTAssertEqual(q[2], 3.0 / 8, accuracy: 1e-7)
    }

    // MARK: configuration

    func testPresets() {
        XCTAssertEqual(ObjectiveConfig.reference.bagAlignment, .reference)
        XCTAssertEqual(ObjectiveConfig.reference.attentionWeight, 0)
        XCTAssertEqual(ObjectiveConfig.reference.curriculum, .quadratic)
        XCTAssertEqual(ObjectiveConfig.hmil.bagAlignment, .nll)
        XCTAssertEqual(ObjectiveConfig.hmil.attentionWeight, 1)
        XCTAssertEqual(ObjectiveConfig.hmil.curriculum, .quadratic)
        XCTAssertEqual(ObjectiveConfig.flat.kind, .flat)
        XCTAssertTrue(ObjectiveConfig.presets.values.allSatisfy { $0.siblingSmoothing == 0 })
        for config in ObjectiveConfig.presets.values { XCTAssertNoThrow(try config.validate(source: "test")) }
    }

    func testJSONStartsFromThePresetAndOverrides() throws {
        let json =
            #"{"preset": "reference", "attention_weight": 0.5, "curriculum": "linear", "temperature": {"low": 0.2, "high": 0.8}, "sibling_smoothing": 0.1}"#
        let config = try JSONDecoder().decode(ObjectiveConfig.self, from: Data(json.utf8))
        var expected = ObjectiveConfig.reference
        expected.attentionWeight = 0.5
        expected.siblingSmoothing = 0.1
        expected.curriculum = .linear
        expected.temperature = TemperatureSchedule(low: 0.2, high: 0.8)
        XCTAssertEqual(config, expected)
        XCTAssertEqual(try JSONDecoder().decode(ObjectiveConfig.self, from: Data("{}".utf8)), .hmil)
        let roundTrip = try JSONDecoder().decode(ObjectiveConfig.self, from: JSONEncoder().encode(config))
        XCTAssertEqual(roundTrip, config)
    }

    func testUnknownPresetAndFormAreRejected() {
        XCTAssertThrowsError(try JSONDecoder().decode(ObjectiveConfig.self, from: Data(#"{"preset": "clam"}"#.utf8))) { error in
            XCTAssertTrue("\(error)".contains("unknown objective preset 'clam'"), "\(error)")
        }
        XCTAssertThrowsError(try JSONDecoder().decode(ObjectiveConfig.self, from: Data(#"{"bag_alignment": "mse"}"#.utf8)))
    }

    func testValidateNamesTheBadField() {
        var config = ObjectiveConfig.hmil
        config.attentionWeight = -1
        XCTAssertThrowsError(try config.validate(source: "objective.json")) { error in
            XCTAssertEqual("\(error)", "objective weight attention_weight is -1.0 (objective.json) — use a finite weight ≥ 0")
        }
        config = .hmil
        config.temperature.low = 0
        XCTAssertThrowsError(try config.validate(source: "--temperature-low")) { error in
            XCTAssertEqual("\(error)", "objective temperature.low is 0.0 (--temperature-low) — use a finite temperature > 0")
        }
        config = .hmil
        config.baseTemperature = .nan
        XCTAssertThrowsError(try config.validate(source: "x"))
        for epsilon in [-0.1, 1, .nan] {
            config = .hmil
            config.siblingSmoothing = epsilon
            XCTAssertThrowsError(try config.validate(source: "x"), "ε = \(epsilon)")
        }
        config.siblingSmoothing = 0.99
        XCTAssertNoThrow(try config.validate(source: "x"))
    }
}
