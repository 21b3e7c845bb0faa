import Foundation
import Shared
import XCTest

/// The model path with `--instance-labels` and `--hierarchy-beta`: each fold's attention scored against
/// key instances as its slides are predicted, into the report and its summary.
final class InstanceAttentionEvaluationTests: XCTestCase {
    /// Key flags of the fixture's slides (N = 3 + i % 5): s1 has no key instance, s2 only key instances,
    /// s7 has no rows; "other" is not in the plan (ignored).
    static let keys: [String: [Bool]] = [
        "s0": [true, false, false], "s1": [false, false, false, false], "s2": [true, true, true, true, true],
        "s3": [false, true, false, false, true, false], "s4": [false, false, false, false, false, false, true],
        "s5": [false, true, false], "s6": [true, false, false, false]
    ]

    static func labels() throws -> InstanceLabels {
        var text = "slide_id,instance,label\nother,0,1\n"
        for (id, flags) in keys.sorted(by: { $0.key < $1.key }) {
            for (i, flag) in flags.enumerated().reversed() { text += "\(id),\(i),\(flag ? 1 : 0)\n" }
        }
        return try InstanceLabels.parse(Array(text.utf8), source: "key.csv")
    }

    /// AUC by counting pairs (key above other: 1, tie: ½), independent of `RankedScores`.
    static func pairAUC(_ scores: [Double], _ key: [Bool]) -> Double? {
        let positives = scores.indices.filter { key[$0] }
        let negatives = scores.indices.filter { !key[$0] }
        guard !positives.isEmpty, !negatives.isEmpty else { return nil }
        var wins = 0.0
        for p in positives { for n in negatives { wins += scores[p] > scores[n] ? 1 : scores[p] == scores[n] ? 0.5 : 0 } }
        return wins / Double(positives.count * negatives.count)
    }

    func testEachFoldsAttentionIsScoredAgainstTheKeyInstances() throws {
        let fixture = try EvaluationFixture()
        defer { fixture.remove() }
        let parts = try CheckpointPredictions.predict(
            document: fixture.document, source: "doc.json",
            options: .init(threads: 2, instanceLabels: try Self.labels()))
        let hierarchy = EvaluationFixture.hierarchy
        let parent = hierarchy.parentIndex
        var allScores: [AttentionLevel: [Double]] = [:]
        var allKeys: [AttentionLevel: [Bool]] = [:]
        for part in parts {
            let attention = try XCTUnwrap(part.instanceAttention?.report())
            XCTAssertEqual(Set(attention.keys), [.fine, .coarse])
            for level in AttentionLevel.allCases {
                var scores: [Double] = []
                var keys: [Bool] = []
                var bagAUCs: [Double] = []
                var withoutPositives = 0
                var withoutNegatives = 0
                var withoutLabels = 0
                for (i, id) in part.slideIDs.enumerated() {
                    guard let flags = Self.keys[id] else {
                        withoutLabels += 1
                        continue
                    }
                    if !flags.contains(true) {
                        withoutPositives += 1
                        continue
                    }
                    if !flags.contains(false) {
                        withoutNegatives += 1
                        continue
                    }
                    let bag = fixture.bag(id)
                    let n = bag.instanceCount
                    let out = fixture.models[part.fold].infer(features: bag.features, instanceCount: n, workspace: Workspace())
                    let fine = part.levels[.fine]!.labels[i]
                    let row =
                        level == .fine
                        ? Array(out.fineAttention[(fine * n)..<(fine * n + n)])
                        : Array(out.coarseAttention[(parent[fine] * n)..<(parent[fine] * n + n)])
                    let scaled = row.map { Double($0) * Double(n) }
                    bagAUCs.append(try XCTUnwrap(Self.pairAUC(scaled, flags)))
                    scores += scaled
                    keys += flags
                }
                let report = try XCTUnwrap(attention[level])
                let what = "fold \(part.fold) \(part.part) \(level)"
                XCTAssertEqual(report.bags, bagAUCs.count, what)
                XCTAssertEqual(report.bagsWithoutPositives, withoutPositives, what)
                XCTAssertEqual(report.bagsWithoutNegatives, withoutNegatives, what)
                XCTAssertEqual(report.bagsWithoutLabels, withoutLabels, what)
                XCTAssertEqual(report.instances, scores.count, what)
                XCTAssertEqual(report.positives, keys.filter { $0 }.count, what)
                if bagAUCs.isEmpty {
                    XCTAssertNil(report.pooledAUC, what)
                    XCTAssertNil(report.bagMeanAUC, what)
                } else {
                    XCTAssertEqual(try XCTUnwrap(report.pooledAUC), Self.pairAUC(scores, keys)!, accuracy: 1e-12, what)
                    XCTAssertEqual(try XCTUnwrap(report.bagMeanAUC), bagAUCs.reduce(0, +) / Double(bagAUCs.count), accuracy: 1e-12, what)
                }
                if part.part == .test {
                    allScores[level, default: []] += scores
                    allKeys[level, default: []] += keys
                }
            }
        }

        let report = Evaluator.evaluate(parts, bootstrap: BootstrapSettings(resamples: 0), source: "checkpoints")
        for fold in report.folds {
            XCTAssertNotNil(fold.parts[.test]?.instanceAttention?[.fine])
        }
        let summary = try XCTUnwrap(report.summary[.test]?.instanceAttention?[.fine])
        let perFold = report.folds.compactMap { $0.parts[.test]?.instanceAttention?[.fine]?.pooledAUC }
        XCTAssertEqual(summary.pooledAUC.folds, perFold.count)
        XCTAssertEqual(try XCTUnwrap(summary.pooledAUC.mean), perFold.reduce(0, +) / Double(perFold.count), accuracy: 1e-12)
        let allFolds = try XCTUnwrap(summary.allFolds)
        XCTAssertEqual(try XCTUnwrap(allFolds.pooledAUC), Self.pairAUC(allScores[.fine]!, allKeys[.fine]!)!, accuracy: 1e-12)
        XCTAssertEqual(
            allFolds.bags + allFolds.bagsWithoutPositives + allFolds.bagsWithoutNegatives + allFolds.bagsWithoutLabels, 8,
            "every test slide once, scored or counted")
        XCTAssertEqual(allFolds.bagsWithoutLabels, 1, "s7")

        // The JSON names.
        let json = String(decoding: try DocumentIO.encode(report), as: UTF8.self)
        for key in [
            "\"instance_attention\"", "\"pooled_auc\"", "\"bag_mean_auc\"", "\"bags_without_positives\"", "\"bags_without_negatives\"",
            "\"bags_without_labels\"", "\"all_folds\"", "\"positives\"", "\"instances\""
        ] {
            XCTAssertTrue(json.contains(key), key)
        }
    }

    func testWithoutInstanceLabelsThereIsNoAttentionReport() throws {
        let fixture = try EvaluationFixture()
        defer { fixture.remove() }
        let parts = try CheckpointPredictions.predict(document: fixture.document, source: "doc.json", options: .init(threads: 1))
        XCTAssertTrue(parts.allSatisfy { $0.instanceAttention == nil })
        let report = Evaluator.evaluate(parts, bootstrap: BootstrapSettings(resamples: 0), source: "checkpoints")
        XCTAssertNil(report.summary[.test]?.instanceAttention)
        let json = String(decoding: try DocumentIO.encode(report), as: UTF8.self)
        XCTAssertFalse(json.contains("instance_attention"))
        XCTAssertFalse(json.contains("fine_hierarchical"))
    }

    func testFlatModelHasOnlyTheFineRow() throws {
        let fixture = try EvaluationFixture(configuration: { .abmil(ABMILOptions(featureDim: $0, classes: 3)) })
        defer { fixture.remove() }
        let parts = try CheckpointPredictions.predict(
            document: fixture.document, source: "doc.json",
            options: .init(parts: [.test], threads: 1, instanceLabels: try Self.labels()))
        for part in parts { XCTAssertEqual(Set(try XCTUnwrap(part.instanceAttention?.report()).keys), [.fine]) }
    }

    /// Labels that do not fit a bag are refused before any slide is predicted (no attention file written).
    func testLabelsOutOfRangeAreRefusedBeforeAnyPrediction() throws {
        let fixture = try EvaluationFixture()
        defer { fixture.remove() }
        let labels = try InstanceLabels.parse(Array("slide_id,instance,label\ns3,0,1\ns3,6,0\n".utf8), source: "key.csv")
        let attention = fixture.folder + "/attention"
        XCTAssertThrowsError(
            try CheckpointPredictions.predict(
                document: fixture.document, source: "doc.json",
                options: .init(threads: 1, attentionFolder: attention, instanceLabels: labels))
        ) {
            XCTAssertTrue(
                "\($0)".contains("instance 6 of slide s3 is out of range: the bag has 6 instances (0…5) (key.csv, line 3)"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: attention))
    }

    func testHierarchyBetaAddsTheLevelAndIsRefusedForTheFlatModel() throws {
        let fixture = try EvaluationFixture()
        defer { fixture.remove() }
        let parts = try CheckpointPredictions.predict(
            document: fixture.document, source: "doc.json",
            options: .init(parts: [.test], threads: 1, hierarchyBeta: 2))
        for part in parts {
            let fine = try XCTUnwrap(part.levels[.fine])
            let coarse = try XCTUnwrap(part.levels[.coarse])
            let decided = try XCTUnwrap(part.levels[.fineHierarchical])
            XCTAssertEqual(decided.labels, fine.labels)
            XCTAssertEqual(
                decided.probabilities,
                HierarchicalDecision.probabilities(
                    fine: fine.probabilities, coarse: coarse.probabilities,
                    parent: EvaluationFixture.hierarchy.parentIndex, coarseCount: 2, beta: 2))
        }
        let flat = try EvaluationFixture(configuration: { .abmil(ABMILOptions(featureDim: $0, classes: 3)) })
        defer { flat.remove() }
        XCTAssertThrowsError(
            try CheckpointPredictions.predict(
                document: flat.document, source: "doc.json",
                options: .init(threads: 1, hierarchyBeta: 1))
        ) {
            let line = "\($0)"
            XCTAssertTrue(
                line.contains("--hierarchy-beta needs a model with a coarse head; fold 0's checkpoint is the flat ABMIL model"), line)
            XCTAssertTrue(line.contains("fold_0.safetensors") && line.contains("leave out --hierarchy-beta for ABMIL"), line)
        }
    }
}
