import Shared
import XCTest

/// hmil's objective against the release's code run in PyTorch (Tests/Parity/objective_reference.py):
/// every term, the total and every output field's gradient, for both presets at epochs 0, E/2, E − 1,
/// on a batch of bags of different sizes with a single-member class and zero attention columns; and
/// the options of the method study (sibling smoothing, weights) on the same batch.
final class ObjectiveParityTests: XCTestCase {
    struct Fixture: Decodable {
        struct Bag: Decodable {
            var instance_count: Int
            var coarse_logits, fine_logits, coarse_attention, fine_attention, embedding: [Double]
        }
        struct Gradient: Decodable {
            var coarse_logits, fine_logits, coarse_attention, fine_attention, embedding: [Double]
        }
        struct Case: Decodable {
            var preset: String
            var epoch: Int
            var alpha, temperature, total: Double
            var terms: [String: Double]
            var gradients: [Gradient]
        }
        var parents: [Int]
        var coarse_count, epoch_count, embedding_width: Int
        var fine_labels: [Int]
        var bags: [Bag]
        var cases: [Case]
        var term_gradient_epoch: Int
        var term_gradients: [String: [Gradient]]
    }

    var fixture: Fixture!
    var outputs: [BagOutput] = []

    override func setUpWithError() throws {
        fixture = try ObjectiveFixtures.load("objective", as: Fixture.self)
        outputs = fixture.bags.map { bag in
            BagOutput(
                instanceCount: bag.instance_count, coarseLogits: bag.coarse_logits.map(Float.init),
                fineLogits: bag.fine_logits.map(Float.init), coarseAttention: bag.coarse_attention.map(Float.init),
                fineAttention: bag.fine_attention.map(Float.init), embedding: bag.embedding.map(Float.init),
                embeddingWidth: fixture.embedding_width)
        }
    }

    func objective(_ preset: String) -> Objective {
        Objective(
            config: ObjectiveConfig.preset(named: preset)!, parents: fixture.parents,
            coarseCount: fixture.coarse_count, epochCount: fixture.epoch_count)
    }

    func testTotalTermsAndGradientsMatchTheRelease() {
        XCTAssertEqual(fixture.cases.count, 6)
        for c in fixture.cases {
            let what = "\(c.preset) epoch \(c.epoch)"
            let loss = objective(c.preset).batchLoss(outputs, fineLabels: fixture.fine_labels, epoch: c.epoch)
            XCTAssertEqual(loss.schedule.alpha, c.alpha, accuracy: 1e-15, what)
            XCTAssertEqual(loss.schedule.temperature, c.temperature, accuracy: 1e-15, what)
            XCTAssertEqual(loss.total, c.total, accuracy: 1e-6 * abs(c.total), what)
            XCTAssertEqual(loss.terms.coarse, c.terms["coarse"]!, accuracy: 1e-6, what)
            XCTAssertEqual(loss.terms.fine, c.terms["fine"]!, accuracy: 1e-6, what)
            let bagName = c.preset == "reference" ? "bag_reference" : "bag_nll"
            XCTAssertEqual(loss.terms.bagAlignment, c.terms[bagName]!, accuracy: 1e-6, what)
            XCTAssertEqual(loss.terms.attention, c.terms["attention"]!, accuracy: 1e-6, what)
            XCTAssertEqual(loss.terms.contrastive, c.terms["contrastive"]!, accuracy: 1e-6, what)
            for (b, g) in loss.gradients.enumerated() {
                assertClose(g, c.gradients[b], "\(what) bag \(b)")
            }
        }
    }

    /// Each term alone, so a disagreement points at its term.
    func testEachTermsGradientMatchesTheRelease() {
        let epoch = fixture.term_gradient_epoch
        let o = objective("hmil")
        let batch = Double(outputs.count)
        let tau = o.schedule(epoch: epoch).temperature
        let contrastive = SupervisedContrastiveLoss.evaluate(
            embeddings: outputs.map(\.embedding), width: fixture.embedding_width, labels: fixture.fine_labels,
            temperature: tau)
        for (b, output) in outputs.enumerated() {
            let fineLabel = fixture.fine_labels[b]
            let coarseLabel = fixture.parents[fineLabel]
            let ce = CrossEntropyLoss.evaluate(logits: output.coarseLogits, label: coarseLabel)
            assertClose(ce.gradient.map { $0 / batch }, fixture.term_gradients["coarse"]![b].coarse_logits, "L_c bag \(b)")
            let fine = CrossEntropyLoss.evaluate(logits: output.fineLogits, label: fineLabel)
            assertClose(fine.gradient.map { $0 / batch }, fixture.term_gradients["fine"]![b].fine_logits, "L_f bag \(b)")
            for (form, name) in [(ObjectiveConfig.BagAlignmentForm.reference, "bag_reference"), (.nll, "bag_nll")] {
                let bag = BagAlignmentLoss.evaluate(
                    fineLogits: output.fineLogits, coarseLabel: coarseLabel,
                    parents: fixture.parents, coarseCount: fixture.coarse_count, form: form)
                assertClose(bag.gradient.map { $0 / batch }, fixture.term_gradients[name]![b].fine_logits, "\(name) bag \(b)")
            }
            let att = AttentionMatchingLoss.evaluate(
                coarseAttention: output.coarseAttention, fineAttention: output.fineAttention,
                instanceCount: output.instanceCount, parents: fixture.parents, coarseCount: fixture.coarse_count)
            assertClose(
                att.coarseGradient.map { $0 / batch }, fixture.term_gradients["attention"]![b].coarse_attention,
                "L_att ∂A_c bag \(b)")
            assertClose(
                att.fineGradient.map { $0 / batch }, fixture.term_gradients["attention"]![b].fine_attention,
                "L_att ∂A_f bag \(b)")
            assertClose(contrastive.gradients[b], fixture.term_gradients["contrastive"]![b].embedding, "L_con bag \(b)")
        }
    }

    /// The trainer's memory-saving path (contrastive first, then bag by bag) gives the batch's numbers.
    func testBagByBagEqualsBatch() {
        for preset in ["reference", "hmil"] {
            let o = objective(preset)
            for epoch in [0, 77, 199] {
                let batch = o.batchLoss(outputs, fineLabels: fixture.fine_labels, epoch: epoch)
                let con = o.contrastiveLoss(
                    embeddings: outputs.map(\.embedding), width: fixture.embedding_width,
                    fineLabels: fixture.fine_labels, epoch: epoch)
                var total = con.weighted
                for (b, output) in outputs.enumerated() {
                    let bag = o.bagLoss(
                        output, fineLabel: fixture.fine_labels[b], epoch: epoch, batchSize: outputs.count,
                        contrastiveGradient: con.embeddingGradients[b])
                    total += bag.weighted
                    XCTAssertEqual(bag.gradient.fineLogits, batch.gradients[b].fineLogits)
                    XCTAssertEqual(bag.gradient.coarseAttention, batch.gradients[b].coarseAttention)
                    XCTAssertEqual(bag.gradient.embedding, batch.gradients[b].embedding)
                }
                XCTAssertEqual(total, batch.total, accuracy: 1e-12)
            }
        }
    }

    // MARK: - The method study's options (objective_variants.json)

    struct VariantsFixture: Decodable {
        struct Case: Decodable {
            var config: ObjectiveConfig
            var parents: [Int]
            var coarse_count, epoch: Int
            var alpha, temperature, total: Double
            var terms: [String: Double]
            var gradients: [Fixture.Gradient]
        }
        struct Row: Decodable {
            var logits: [Double]
            var parents: [Int]
            var label: Int
            var epsilon, value: Double
            var target, gradient: [Double]
        }
        var epoch_count: Int
        var fine_labels: [Int]
        var bags: [Fixture.Bag]
        var cases: [Case]
        var smoothing_rows: [Row]
    }

    /// Sibling label smoothing (torch's `cross_entropy` with probability targets) and the weight
    /// overrides, w_con = 0 included, through the whole batch total, for HMIL and the flat objective.
    func testVariantsMatchPyTorch() throws {
        let variants = try ObjectiveFixtures.load("objective_variants", as: VariantsFixture.self)
        XCTAssertEqual(variants.bags.map(\.fine_logits), fixture.bags.map(\.fine_logits), "the batch of objective.json")
        XCTAssertEqual(variants.cases.count, 9)
        XCTAssertTrue(variants.cases.contains { $0.config.contrastiveWeight == 0 && $0.epoch > 0 })
        XCTAssertTrue(variants.cases.contains { $0.config.kind == .flat && $0.config.siblingSmoothing > 0 })
        for c in variants.cases {
            let what =
                "\(c.config.preset) ε=\(c.config.siblingSmoothing) w_c=\(c.config.coarseWeight) w_con=\(c.config.contrastiveWeight) epoch \(c.epoch)"
            let o = Objective(config: c.config, parents: c.parents, coarseCount: c.coarse_count, epochCount: variants.epoch_count)
            let loss = o.batchLoss(outputs, fineLabels: variants.fine_labels, epoch: c.epoch)
            XCTAssertEqual(loss.schedule.alpha, c.alpha, accuracy: 1e-15, what)
            XCTAssertEqual(loss.total, c.total, accuracy: 1e-6 * abs(c.total), what)
            XCTAssertEqual(loss.terms.fine, c.terms["fine"]!, accuracy: 1e-6, what)
            if c.config.kind == .hierarchical {
                XCTAssertEqual(loss.terms.coarse, c.terms["coarse"]!, accuracy: 1e-6, what)
                XCTAssertEqual(loss.terms.contrastive, c.terms["contrastive"]!, accuracy: 1e-6, what)
            }
            for (b, g) in loss.gradients.enumerated() {
                assertClose(g, c.gradients[b], "\(what) bag \(b)")
            }
        }
    }

    func testSmoothedCrossEntropyRowsMatchPyTorch() throws {
        let variants = try ObjectiveFixtures.load("objective_variants", as: VariantsFixture.self)
        for row in variants.smoothing_rows {
            let what = "y=\(row.label) ε=\(row.epsilon) π=\(row.parents)"
            XCTAssertEqual(SiblingLabelSmoothing.target(label: row.label, parents: row.parents, epsilon: row.epsilon), row.target, what)
            let loss = SiblingLabelSmoothing.evaluate(
                logits: row.logits.map(Float.init), label: row.label, parents: row.parents,
                epsilon: row.epsilon)
            XCTAssertEqual(loss.value, row.value, accuracy: 1e-12 * max(1, abs(row.value)), what)
            for (a, e) in zip(loss.gradient, row.gradient) { XCTAssertEqual(a, e, accuracy: 1e-12, what) }
        }
    }

    private func assertClose(
        _ g: BagOutputGradient, _ expected: Fixture.Gradient, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        assertClose(g.coarseLogits.map(Double.init), expected.coarse_logits, "\(what) coarse logits", file: file, line: line)
        assertClose(g.fineLogits.map(Double.init), expected.fine_logits, "\(what) fine logits", file: file, line: line)
        assertClose(g.coarseAttention.map(Double.init), expected.coarse_attention, "\(what) coarse attention", file: file, line: line)
        assertClose(g.fineAttention.map(Double.init), expected.fine_attention, "\(what) fine attention", file: file, line: line)
        assertClose(g.embedding.map(Double.init), expected.embedding, "\(what) embedding", file: file, line: line)
    }

    /// Float rounding of the outputs: relative 1e-6 of the largest magnitude in the field.
    private func assertClose(
        _ actual: [Double], _ expected: [Double], _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, "\(what): size", file: file, line: line)
        let scale = max(expected.map { abs($0) }.max() ?? 0, 1e-6)
        for (i, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > 1e-6 * scale + 1e-7 * abs(e) {
            XCTFail("\(what)[\(i)]: \(a) vs torch \(e)", file: file, line: line)
            return
        }
    }
}
