import Foundation
import Shared
import XCTest

/// The instance-level attention AUC (`--instance-labels`) held to scikit-learn's `roc_auc_score`, the choice
/// of attention row per level, and the hierarchical decision rule (`--hierarchy-beta`) on hand values.
/// Golden file: Fixtures/metrics/instance_attention_cases.json, written by scripts/golden/instance_attention_auc.py.
final class InstanceAttentionTests: XCTestCase {
    struct Golden: Decodable {
        var sklearn: String
        var cases: [Case]
    }

    struct Case: Decodable {
        var name: String
        var bags: [GoldenBag]
        var expected: Expected
    }

    struct GoldenBag: Decodable {
        var attention: [Double]  // float32 values, exactly
        var is_key: [Int]?
    }

    struct Expected: Decodable {
        var bags, bags_without_positives, bags_without_negatives, bags_without_labels, instances, positives: Int
        var pooled_auc: Double?
        var bag_mean_auc: Double?
    }

    static let golden: Golden = {
        let url = FixturePaths.url("metrics/instance_attention_cases.json")
        return try! JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }()

    func scores(_ c: Case) -> InstanceAttentionScores {
        var scores = InstanceAttentionScores()
        for bag in c.bags { scores.add(attention: bag.attention.map { Float($0) }, isKey: bag.is_key.map { $0.map { $0 == 1 } }) }
        return scores
    }

    func testEveryCaseMatchesScikitLearn() {
        XCTAssertEqual(Self.golden.cases.count, 5)
        for c in Self.golden.cases {
            let report = scores(c).report()
            let e = c.expected
            XCTAssertEqual(
                report,
                InstanceAttentionReport(
                    pooledAUC: report.pooledAUC, bagMeanAUC: report.bagMeanAUC, bags: e.bags,
                    bagsWithoutPositives: e.bags_without_positives,
                    bagsWithoutNegatives: e.bags_without_negatives,
                    bagsWithoutLabels: e.bags_without_labels, instances: e.instances,
                    positives: e.positives), c.name)
            for (value, expected, what) in [(report.pooledAUC, e.pooled_auc, "pooled"), (report.bagMeanAUC, e.bag_mean_auc, "bag mean")] {
                switch (value, expected) {
                case (nil, nil): break
                case (let v?, let x?): XCTAssertEqual(v, x, accuracy: 1e-12, "\(c.name): \(what)")
                default: XCTFail("\(c.name): \(what) is \(String(describing: value)), scikit-learn says \(String(describing: expected))")
                }
            }
        }
    }

    func testMergingFoldsEqualsAddingTheirBagsInOrder() {
        let c = Self.golden.cases.first { $0.name == "random bags" }!
        let half = c.bags.count / 2
        var first = scores(Case(name: "a", bags: Array(c.bags[..<half]), expected: c.expected))
        first.merge(scores(Case(name: "b", bags: Array(c.bags[half...]), expected: c.expected)))
        XCTAssertEqual(first.report(), scores(c).report())
    }

    func testOneBagsAUC() {
        XCTAssertEqual(InstanceAttentionScores.bagAUC(attention: [Float(0.5), 0.25, 0.25], isKey: [false, true, false]), 0.25)
        XCTAssertNil(InstanceAttentionScores.bagAUC(attention: [Float(0.5), 0.5], isKey: [false, false]))
    }

    /// HMIL: the fine row of the bag's true fine class and the coarse row of its true coarse class;
    /// ABMIL: its one row, and no coarse level.
    func testTheTrueClassesRowsAreScored() {
        // N = 3, Kf = 3 (parents 0, 0, 1), Kc = 2. Key instance: 2.
        let hmil = BagOutput(
            instanceCount: 3, coarseLogits: [0, 0], fineLogits: [0, 0, 0],
            coarseAttention: [0.1, 0.1, 0.8, /* coarse 1 */ 0.8, 0.15, 0.05],
            fineAttention: [0.8, 0.1, 0.1, /* fine 1 */ 0.1, 0.2, 0.7, /* fine 2 */ 0.3, 0.3, 0.4],
            embedding: [], embeddingWidth: 0)
        let key = [false, false, true]
        var attention = InstanceAttention()
        attention.add(hmil, fineLabel: 1, parent: [0, 0, 1], isKey: key)
        XCTAssertEqual(attention.report()[.fine]?.pooledAUC, 1, "fine row 1 puts the key instance first")
        XCTAssertEqual(attention.report()[.coarse]?.pooledAUC, 1, "coarse row 0 (the parent of fine 1) puts it first")
        var other = InstanceAttention()
        other.add(hmil, fineLabel: 2, parent: [0, 0, 1], isKey: key)
        XCTAssertEqual(other.report()[.fine]?.pooledAUC, 1)
        XCTAssertEqual(other.report()[.coarse]?.pooledAUC, 0, "coarse row 1 puts it last")
        var unlabelled = InstanceAttention()
        unlabelled.add(hmil, fineLabel: 0, parent: [0, 0, 1], isKey: nil)
        XCTAssertEqual(unlabelled.report()[.fine]?.bagsWithoutLabels, 1)
        XCTAssertEqual(unlabelled.report()[.coarse]?.bagsWithoutLabels, 1)

        let abmil = BagOutput(
            instanceCount: 3, coarseLogits: [], fineLogits: [0, 0, 0], coarseAttention: [],
            fineAttention: [0.2, 0.5, 0.3], embedding: [], embeddingWidth: 0)
        var flat = InstanceAttention()
        flat.add(abmil, fineLabel: 2, parent: [0, 0, 1], isKey: key)
        XCTAssertEqual(Set(flat.report().keys), [.fine])
        XCTAssertEqual(flat.report()[.fine]?.pooledAUC, 0.5)
    }

    // MARK: - The hierarchical decision

    func testHierarchicalDecisionOnHandValues() {
        let fine: [Double] = [0.5, 0.3, 0.2]
        let coarse: [Double] = [0.2, 0.8]
        let parent = [0, 0, 1]
        func rule(_ beta: Double) -> [Double] {
            HierarchicalDecision.probabilities(fine: fine[...], coarse: coarse[...], parent: parent, beta: beta)
        }
        // β = 1: [0.5·0.2, 0.3·0.2, 0.2·0.8] = [0.1, 0.06, 0.16] / 0.32.
        XCTAssertEqual(rule(1), [0.3125, 0.1875, 0.5], accuracy: 1e-15)
        // β = 2: [0.5·0.04, 0.3·0.04, 0.2·0.64] = [0.02, 0.012, 0.128] / 0.16.
        XCTAssertEqual(rule(2), [0.125, 0.075, 0.8], accuracy: 1e-15)
        XCTAssertEqual(rule(0), fine, accuracy: 1e-15, "β = 0 is the fine head")
        // A zero probability stays zero, and β = 0 ignores a coarse head that says 0.
        XCTAssertEqual(
            HierarchicalDecision.probabilities(fine: [0.0, 0.4, 0.6], coarse: [0.0, 1.0], parent: parent, beta: 1),
            [0, 0, 1], accuracy: 1e-15)
        XCTAssertEqual(
            HierarchicalDecision.probabilities(fine: [0.5, 0.5, 0.0], coarse: [0.0, 1.0], parent: parent, beta: 0),
            [0.5, 0.5, 0], accuracy: 1e-15)
        // Tiny probabilities do not underflow: (1e-200)² is below Double's range, the ratio of two such products is not.
        XCTAssertEqual(
            HierarchicalDecision.probabilities(fine: [0.5, 0.5, 0], coarse: [1e-200, 1], parent: parent, beta: 2),
            [0.5, 0.5, 0], accuracy: 1e-15)
        // Rows of many bags at once.
        XCTAssertEqual(
            HierarchicalDecision.probabilities(
                fine: fine + fine, coarse: coarse + [0.5, 0.5], parent: parent, coarseCount: 2,
                beta: 1),
            [0.3125, 0.1875, 0.5] + fine, accuracy: 1e-15)
    }

    func testFineHierarchicalLevelOfAPart() {
        let hierarchy = Hierarchy(coarse: ["a", "b"], fine: ["a1", "a2", "b1"], parent: ["a1": "a", "a2": "a", "b1": "b"])
        let part = PartPredictions(
            fold: 0, part: .test, hierarchy: hierarchy, slideIDs: ["s0", "s1"], fineLabels: [2, 0],
            fineProbabilities: [0.5, 0.3, 0.2, 0.6, 0.3, 0.1], coarseProbabilities: [0.2, 0.8, 0.9, 0.1],
            hierarchyBeta: 1)
        let level = try! XCTUnwrap(part.levels[.fineHierarchical])
        XCTAssertEqual(level.classes, hierarchy.fine)
        XCTAssertEqual(level.labels, [2, 0])
        XCTAssertEqual(level.predictions, [2, 0], "the fine head says a1 for s0; the coarse head moves it to b1")
        XCTAssertEqual(part.levels[.fine]?.predictions, [0, 0])
        XCTAssertNil(
            PartPredictions(
                fold: 0, part: .test, hierarchy: hierarchy, slideIDs: ["s0"], fineLabels: [2],
                fineProbabilities: [0.5, 0.3, 0.2], coarseProbabilities: [0.2, 0.8]
            ).levels[.fineHierarchical])
    }
}

private func XCTAssertEqual(
    _ a: [Double], _ b: [Double], accuracy: Double, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, "\(a) vs \(b) \(message)", file: file, line: line) }
}
