import Foundation
import Shared
import XCTest

/// The model path: each fold's checkpoint, loaded and run on its parts, gives exactly the probabilities
/// (and attention) of the model's own inference forward.
final class CheckpointPredictionsTests: XCTestCase {
    func testProbabilitiesAreThoseOfTheModelsInference() throws {
        let fixture = try EvaluationFixture()
        defer { fixture.remove() }
        let attention = fixture.folder + "/attention"
        let parts = try CheckpointPredictions.predict(
            document: fixture.document, source: "doc.json",
            options: .init(threads: 2, attentionFolder: attention))
        XCTAssertEqual(parts.map(\.fold), [0, 0, 1, 1])
        XCTAssertEqual(parts.map(\.part), [.test, .val, .test, .val])
        let parent = EvaluationFixture.hierarchy.parentIndex
        for part in parts {
            let model = fixture.models[part.fold]
            let record = fixture.document.folds[part.fold]
            XCTAssertEqual(part.slideIDs, part.part == .test ? record.test : record.val)
            let fine = try XCTUnwrap(part.levels[.fine])
            let coarse = try XCTUnwrap(part.levels[.coarse])
            XCTAssertNotNil(part.levels[.coarseFromFine])
            for (i, id) in part.slideIDs.enumerated() {
                let bag = fixture.bag(id)
                let out = model.infer(features: bag.features, instanceCount: bag.instanceCount, workspace: Workspace())
                let expectedFine = Softmax.probabilities(out.fineLogits)
                let expectedCoarse = Softmax.probabilities(out.coarseLogits)
                for j in 0..<3 { XCTAssertEqual(fine.probability(bag: i, class: j), expectedFine[j], accuracy: 1e-6, "\(id) fine \(j)") }
                for k in 0..<2 {
                    XCTAssertEqual(coarse.probability(bag: i, class: k), expectedCoarse[k], accuracy: 1e-6, "\(id) coarse \(k)")
                }
                XCTAssertEqual(
                    fine.labels[i], fixture.document.hierarchy.fineIndex(of: fixture.document.slides.first { $0.slideID == id }!.label))
                XCTAssertEqual(coarse.labels[i], parent[fine.labels[i]])

                // The attention file holds A_c then A_f, instance by instance, with the bag's coordinates.
                let csv = try readSimpleCSV("\(attention)/fold_\(part.fold)/\(id).csv")
                XCTAssertEqual(csv.header, ["instance", "x", "y", "coarse:benign", "coarse:malignant", "fine:N", "fine:UDH", "fine:DCIS"])
                XCTAssertEqual(csv.rows.count, bag.instanceCount)
                guard case .int32(let coordinates) = bag.coordinates else { return XCTFail("fixture has int32 coordinates") }
                for (n, row) in csv.rows.enumerated() {
                    XCTAssertEqual(row[0], String(n))
                    XCTAssertEqual(row[1...2].map { Int32($0)! }, [coordinates[2 * n], coordinates[2 * n + 1]])
                    let values = row[3...].map { Float($0)! }
                    for k in 0..<2 { XCTAssertEqual(values[k], out.coarseAttention[k * bag.instanceCount + n], accuracy: 1e-6) }
                    for j in 0..<3 { XCTAssertEqual(values[2 + j], out.fineAttention[j * bag.instanceCount + n], accuracy: 1e-6) }
                }
            }
        }
    }

    func testOnePartAndTheFlatModel() throws {
        let fixture = try EvaluationFixture(configuration: { .abmil(ABMILOptions(featureDim: $0, classes: 3)) })
        defer { fixture.remove() }
        let attention = fixture.folder + "/attention"
        let parts = try CheckpointPredictions.predict(
            document: fixture.document, source: "doc.json",
            options: .init(parts: [.test], threads: 1, attentionFolder: attention))
        XCTAssertEqual(parts.map(\.part), [.test, .test])
        for part in parts {
            XCTAssertEqual(Set(part.levels.keys), [.fine, .coarseFromFine], "the flat model has no coarse head")
            let id = part.slideIDs[0]
            let bag = fixture.bag(id)
            let out = fixture.models[part.fold].infer(features: bag.features, instanceCount: bag.instanceCount, workspace: Workspace())
            let expected = Softmax.probabilities(out.fineLogits)
            for j in 0..<3 { XCTAssertEqual(part.levels[.fine]!.probability(bag: 0, class: j), expected[j], accuracy: 1e-6) }
            let csv = try readSimpleCSV("\(attention)/fold_\(part.fold)/\(id).csv")
            XCTAssertEqual(csv.header, ["instance", "x", "y", "attention"])
            let sum = csv.rows.reduce(0.0) { $0 + Double($1[3])! }
            XCTAssertEqual(sum, 1, accuracy: 1e-5)
        }
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: "\(attention)/fold_0/\(fixture.document.folds[0].val[0]).csv"),
            "val was not asked for")
    }

    func testMissingCheckpointNamesItAndTheDocument() throws {
        var fixture = try EvaluationFixture()
        defer { fixture.remove() }
        fixture.document.models![1].checkpoint = fixture.folder + "/gone.safetensors"
        XCTAssertThrowsError(try CheckpointPredictions.predict(document: fixture.document, source: "doc.json")) { error in
            let line = "\(error)"
            XCTAssertTrue(
                line.contains("checkpoint file not found") && line.contains("gone.safetensors") && line.contains("doc.json")
                    && line.contains("fold 1"), line)
        }
    }

    func testCheckpointOfAnotherHierarchyOrFeatureDimIsRefused() throws {
        var fixture = try EvaluationFixture()
        defer { fixture.remove() }
        var other = EvaluationFixture.hierarchy
        other.fine = ["N", "DCIS", "UDH"]
        var relabelled = fixture.document
        relabelled.hierarchy = other
        XCTAssertThrowsError(try CheckpointPredictions.predict(document: relabelled, source: "doc.json")) { error in
            XCTAssertTrue("\(error)".contains("trained with hierarchy"), "\(error)")
            XCTAssertTrue("\(error)".contains("fold_0.safetensors"), "\(error)")
        }
        // A checkpoint without hierarchy metadata is still held to the class counts and the feature dim.
        let options = HMILOptions(featureDim: 6, coarseClasses: 2, fineClasses: 4)
        XCTAssertThrowsError(
            try FoldModel.check(
                .hmil(options), trainedOn: nil, against: EvaluationFixture.hierarchy, featureDim: 6,
                at: "c.safetensors")
        ) { error in
            XCTAssertTrue("\(error)".contains("4 fine classes"), "\(error)")
        }
        let wide = HMILOptions(featureDim: 9, coarseClasses: 2, fineClasses: 3)
        XCTAssertThrowsError(
            try FoldModel.check(
                .hmil(wide), trainedOn: EvaluationFixture.hierarchy, against: EvaluationFixture.hierarchy,
                featureDim: 6, at: "c.safetensors")
        ) { error in
            XCTAssertTrue("\(error)".contains("expects 9 features per instance, the document's packs hold 6"), "\(error)")
        }
        XCTAssertNoThrow(
            try FoldModel.check(
                .abmil(ABMILOptions(featureDim: 6, classes: 3)), trainedOn: nil,
                against: EvaluationFixture.hierarchy, featureDim: 6, at: "c.safetensors"))
        fixture.document.models = []
        XCTAssertThrowsError(try CheckpointPredictions.predict(document: fixture.document, source: "doc.json"))
    }

    func testSlideIDThatIsNotAFileNameIsRefusedBeforeAnyWork() throws {
        XCTAssertThrowsError(try AttentionCSV.path(folder: "R", fold: 0, slideID: "../escape"))
        XCTAssertThrowsError(try AttentionCSV.path(folder: "R", fold: 0, slideID: ".."))
        XCTAssertThrowsError(try AttentionCSV.path(folder: "R", fold: 0, slideID: ""))
        XCTAssertEqual(try AttentionCSV.path(folder: "R", fold: 3, slideID: "TCGA-01.x"), "R/fold_3/TCGA-01.x.csv")
    }

    func testAttentionFileText() {
        let out = BagOutput(
            instanceCount: 2, coarseLogits: [0, 0], fineLogits: [0, 0, 0], coarseAttention: [0.25, 0.75, 0.5, 0.5],
            fineAttention: [1, 0, 0.125, 0.875, 1e-8, 1], embedding: [], embeddingWidth: 0)
        XCTAssertEqual(
            AttentionCSV.encode(
                output: out, coordinates: .float32([1.5, 2, 3, 4.25]), coarseClasses: ["a", "b,c"],
                fineClasses: ["x", "y", "z"]),
            """
            instance,x,y,coarse:a,"coarse:b,c",fine:x,fine:y,fine:z
            0,1.5,2.0,0.25,0.5,1.0,0.125,1e-08
            1,3.0,4.25,0.75,0.5,0.0,0.875,1.0

            """)
    }
}
