import Foundation
import Shared
import TestSupport
import XCTest

/// hmil-train then hmil-eval through the built executables on a tiny packed dataset: per-fold models
/// documents merged, prediction files, metrics, attention files, external data averaged over folds, and
/// the one-line errors of bad input.
final class EvalModelTests: XCTestCase {
    static let hierarchy = Hierarchy(
        coarse: ["benign", "malignant"], fine: ["N", "UDH", "DCIS"],
        parent: ["N": "benign", "UDH": "benign", "DCIS": "malignant"])
    static let dim = 8

    /// Trained once for every test: two folds of an HMIL model (trained separately, as the pipeline's
    /// Makefile does) and fold 0 of the flat ABMIL model.
    struct Trained {
        var folder: String
        var foldDocuments: [String]  // HMIL: fold_0.json, fold_1.json
        var flatDocument: String  // ABMIL: flat_0.json
        var dataset: PipelineDocument
        var bags: [String: Bag]
        var external: String  // a dataset document of other slides, some unlabelled
        var externalBags: [String: Bag]
    }

    nonisolated(unsafe) static var trained: Result<Trained, Error>?

    /// Runs the built tool `name` in `folder`, reading the file `stdin` there (or nothing).
    static func run(_ name: String, _ arguments: [String], in folder: String, stdin: String? = nil) throws -> ToolRun {
        try BuiltTool.run(name, arguments, stdin: stdin.map { .file(folder + "/" + $0) } ?? .none, in: URL(fileURLWithPath: folder))
    }

    func run(_ arguments: [String], stdin: String? = nil) throws -> ToolRun {
        try Self.run("hmil-eval", arguments, in: try fixture().folder, stdin: stdin)
    }

    /// Bags whose first instances carry the class in feature `label`, with int32 coordinates.
    static func makeBags(_ prefix: String, count: Int, dim: Int, labels: (Int) -> Int, seed: UInt64) -> [Bag] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            let n = 6 + i % 7
            var features = (0..<n * dim).map { _ in Float(rng.nextNormal()) }
            for row in 0..<2 { features[row * dim + labels(i)] += 3 }
            return Bag(
                slideID: "\(prefix)\(i)", instanceCount: n, featureDim: dim, features: features,
                coordinates: .int32((0..<2 * n).map { Int32(100 * $0 + i) }))
        }
    }

    static func writeDataset(_ bags: [Bag], labels: [String], folds: [FoldRecord], in folder: String, name: String) throws
        -> PipelineDocument
    {
        let pack = "\(name).hbag"
        let writer = try PackWriter(path: folder + "/" + pack, featureDim: bags[0].featureDim, options: .init(coordinates: .int32))
        for bag in bags { try writer.append(bag) }
        try writer.finish()
        var document = PipelineDocument(
            format: PipelineDocument.datasetFormat, hierarchy: hierarchy, scheme: "kfold", seed: 1,
            slides: zip(bags, labels).map {
                SlideRecord(
                    slideID: $0.slideID, caseID: $0.slideID, label: $1,
                    instances: $0.instanceCount, pack: 0)
            },
            folds: folds)
        document.packs = [PackReference(path: pack, bags: bags.count, featureDim: bags[0].featureDim, dtype: "f32")]
        try DocumentIO.encode(document).write(to: URL(fileURLWithPath: "\(folder)/\(name).json"))
        return document
    }

    func fixture() throws -> Trained {
        if let trained = Self.trained { return try trained.get() }
        let result = Result { try Self.train() }
        Self.trained = result
        return try result.get()
    }

    static func train() throws -> Trained {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hmil-eval-model-e2e-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let bags = makeBags("s", count: 18, dim: dim, labels: { $0 % 3 }, seed: 3)
        let ids = bags.map(\.slideID)
        // Test parts hold every class; each val part one slide (one class: its AUC is undefined).
        let folds = [
            FoldRecord(fold: 0, train: Array(ids[10...]), val: [ids[9]], test: Array(ids[0..<9])),
            FoldRecord(fold: 1, train: Array(ids[0..<8]), val: [ids[8]], test: Array(ids[9...]))
        ]
        let dataset = try writeDataset(bags, labels: bags.indices.map { hierarchy.fine[$0 % 3] }, folds: folds, in: folder, name: "dataset")
        func train(_ arguments: [String], into name: String) throws {
            let run = try Self.run(
                "hmil-train",
                arguments + [
                    "--epochs", "2", "--batch-size", "4", "--threads", "2", "--quiet",
                    "dataset.json"
                ], in: folder)
            guard run.status == 0 else { throw ToolError("hmil-train failed: \(run.stderr)") }
            try run.stdout.write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        try train(["--out", "runs/hmil/fold_0", "--fold", "0"], into: "fold_0.json")
        try train(["--out", "runs/hmil/fold_1", "--fold", "1"], into: "fold_1.json")
        try train(["--out", "runs/abmil/fold_0", "--fold", "0", "--model", "abmil"], into: "flat_0.json")

        // External data: other slides, two of them unlabelled.
        let externalBags = makeBags("x", count: 6, dim: dim, labels: { $0 % 3 }, seed: 9)
        _ = try writeDataset(externalBags, labels: ["N", "UDH", "", "DCIS", "", "N"], folds: [], in: folder, name: "external")
        return Trained(
            folder: folder, foldDocuments: ["fold_0.json", "fold_1.json"], flatDocument: "flat_0.json", dataset: dataset,
            bags: Dictionary(uniqueKeysWithValues: bags.map { ($0.slideID, $0) }), external: "external.json",
            externalBags: Dictionary(uniqueKeysWithValues: externalBags.map { ($0.slideID, $0) }))
    }

    override class func tearDown() {
        if case .success(let trained)? = trained { try? FileManager.default.removeItem(atPath: trained.folder) }
    }

    func path(_ name: String) throws -> String { try fixture().folder + "/" + name }

    // MARK: - The model path

    func testEvaluatesFoldDocumentsWithAttention() throws {
        let t = try fixture()
        let run = try run(t.foldDocuments + ["--out", "results", "--attention", "--bootstrap", "50", "--threads", "2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let doc = try DocumentIO.decode(PipelineDocument.self, from: run.stdout, source: "stdout")
        XCTAssertEqual(doc.format, "hmil.eval/1")
        XCTAssertEqual(doc.models?.map(\.fold), [0, 1])
        // The saved copy is the same document with its paths from results/ (DocumentPathsToolTests).
        let saved = try DocumentIO.decode(
            PipelineDocument.self, from: Data(contentsOf: URL(fileURLWithPath: try path("results/eval.json"))),
            source: "eval.json")
        XCTAssertEqual(saved.resolvingPaths(readFrom: "results/eval.json"), doc)
        let evaluation = try XCTUnwrap(doc.evaluation)
        XCTAssertEqual(evaluation.source, "checkpoints")
        XCTAssertEqual(evaluation.folds.map(\.fold), [0, 1])
        for fold in evaluation.folds {
            let test = try XCTUnwrap(fold.parts[.test])
            XCTAssertEqual(test.slides, 9)
            XCTAssertEqual(Set(test.levels.keys), [.coarse, .coarseFromFine, .fine], "fine_hierarchical only with --hierarchy-beta")
            XCTAssertNil(test.instanceAttention, "attention is scored only with --instance-labels")
            for (_, level) in test.levels {
                for metric in [ScalarMetric.accuracy, .balancedAccuracy, .f1Macro, .aucMacro] {
                    let value = try XCTUnwrap(level.metrics[metric]?.value, "\(metric)")
                    XCTAssertTrue((0...1).contains(value), "\(metric) = \(value)")
                }
                XCTAssertEqual(level.confusionMatrix.joined().reduce(0, +), 9)
            }
            // The val part has one slide of one class: AUC undefined, said, no number.
            let val = try XCTUnwrap(fold.parts[.val]?.levels[.fine]?.metrics[.aucMacro])
            XCTAssertNil(val.value)
            XCTAssertNotNil(val.undefined)
        }
        XCTAssertTrue(run.stderr.contains("hmil-eval: warning: AUC undefined on fold 0 (val, fine level): only class"), run.stderr)
        XCTAssertTrue(run.stderr.contains("fine level, test part (18 slides, 2 folds"), run.stderr)

        // CLAM's per-fold files: read back with the same reader --predictions uses.
        for fold in 0..<2 {
            let record = t.dataset.folds[fold]
            let fine = try PredictionCSV.read(
                path: try path("results/test/fine/fold_\(fold).csv"), classes: Self.hierarchy.fine, level: "fine")
            XCTAssertEqual(fine.slideIDs, record.test)
            XCTAssertEqual(
                fine.labels, record.test.map { id in Self.hierarchy.fineIndex(of: t.dataset.slides.first { $0.slideID == id }!.label)! })
            let coarse = try PredictionCSV.read(
                path: try path("results/val/coarse/fold_\(fold).csv"), classes: Self.hierarchy.coarse,
                level: "coarse")
            XCTAssertEqual(coarse.slideIDs, record.val)
            for name in ["summary.csv", "confusion.svg", "roc_fold_\(fold).svg"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: try path("results/test/coarse_from_fine/\(name)")), name)
            }

            // Attention: a file per slide of both parts; each column a softmax over the instances.
            for id in record.test + record.val {
                let bag = try XCTUnwrap(t.bags[id])
                let csv = try readCSV(try path("results/attention/fold_\(fold)/\(id).csv"))
                XCTAssertEqual(csv.header, ["instance", "x", "y", "coarse:benign", "coarse:malignant", "fine:N", "fine:UDH", "fine:DCIS"])
                XCTAssertEqual(csv.rows.count, bag.instanceCount)
                guard case .int32(let coordinates) = bag.coordinates else { return XCTFail("int32 coordinates") }
                XCTAssertEqual(csv.rows.map { Int32($0[1])! }, stride(from: 0, to: coordinates.count, by: 2).map { coordinates[$0] })
                XCTAssertEqual(csv.rows.map { Int32($0[2])! }, stride(from: 1, to: coordinates.count, by: 2).map { coordinates[$0] })
                for column in 3..<8 {
                    let sum = csv.rows.reduce(0.0) { $0 + Double($1[column])! }
                    XCTAssertEqual(sum, 1, accuracy: 1e-5, "\(id) \(csv.header[column])")
                }
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: try path("results/external")), "no --dataset, no external files")
    }

    func testStdinAndOnePartAndDeterminism() throws {
        let t = try fixture()
        let fromFile = try run([t.foldDocuments[0], "--parts", "test", "--bootstrap", "20", "--quiet"])
        XCTAssertEqual(fromFile.status, 0, fromFile.stderr)
        XCTAssertEqual(fromFile.stderr, "")
        let fromStdin = try run(["--parts", "test", "--bootstrap", "20", "--quiet", "--threads", "1"], stdin: t.foldDocuments[0])
        XCTAssertEqual(fromStdin.status, 0, fromStdin.stderr)
        XCTAssertEqual(fromStdin.stdout, fromFile.stdout, "stdin and a path, 1 and all threads: the same document")
        let doc = try DocumentIO.decode(PipelineDocument.self, from: fromFile.stdout, source: "stdout")
        XCTAssertEqual(doc.evaluation?.folds.map(\.fold), [0])
        XCTAssertNil(doc.evaluation?.folds[0].parts[.val])
    }

    func testFlatModelHasOneAttentionColumnAndNoCoarseHead() throws {
        let t = try fixture()
        let run = try run([t.flatDocument, "--out", "flat", "--attention", "--bootstrap", "0", "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let doc = try DocumentIO.decode(PipelineDocument.self, from: run.stdout, source: "stdout")
        XCTAssertEqual(Set(try XCTUnwrap(doc.evaluation?.folds[0].parts[.test]).levels.keys), [.fine, .coarseFromFine])
        XCTAssertFalse(FileManager.default.fileExists(atPath: try path("flat/test/coarse")))
        for id in t.dataset.folds[0].test {
            let csv = try readCSV(try path("flat/attention/fold_0/\(id).csv"))
            XCTAssertEqual(csv.header, ["instance", "x", "y", "attention"])
            XCTAssertEqual(csv.rows.reduce(0.0) { $0 + Double($1[3])! }, 1, accuracy: 1e-5)
        }
    }

    // MARK: - Key instances and the hierarchical decision

    /// Key instances: the two planted rows of every bag (`makeBags`); slide s4 has no rows, s5's rows say
    /// none is key, and a slide outside the plan is ignored.
    func writeInstanceLabels(_ t: Trained, name: String = "key.csv") throws {
        var text = "slide_id,instance,label,note\nelsewhere,0,1,x\n"
        for (id, bag) in t.bags.sorted(by: { $0.key < $1.key }) where id != "s4" {
            for i in 0..<bag.instanceCount { text += "\(id),\(i),\(id != "s5" && i < 2 ? 1 : 0),x\n" }
        }
        try text.write(toFile: try path(name), atomically: true, encoding: .utf8)
    }

    func testInstanceLabelsAndHierarchyBeta() throws {
        let t = try fixture()
        try writeInstanceLabels(t)
        let run = try run(
            t.foldDocuments + [
                "--out", "keyed", "--instance-labels", "key.csv", "--hierarchy-beta", "0.5",
                "--bootstrap", "0", "--threads", "2"
            ])
        XCTAssertEqual(run.status, 0, run.stderr)
        let doc = try DocumentIO.decode(PipelineDocument.self, from: run.stdout, source: "stdout")
        let evaluation = try XCTUnwrap(doc.evaluation)
        XCTAssertEqual(evaluation.hierarchyBeta, 0.5)
        XCTAssertEqual(evaluation.instanceLabels, "key.csv")
        var scored = 0
        for fold in evaluation.folds {
            let test = try XCTUnwrap(fold.parts[.test])
            XCTAssertEqual(Set(test.levels.keys), Set(EvaluationLevel.allCases))
            let attention = try XCTUnwrap(test.instanceAttention)
            XCTAssertEqual(Set(attention.keys), [.fine, .coarse])
            for (_, report) in attention {
                XCTAssertEqual(report.bags + report.bagsWithoutPositives + report.bagsWithoutLabels, 9)
                XCTAssertEqual(report.bagsWithoutNegatives, 0)
                XCTAssertEqual(report.positives, 2 * report.bags)
                for auc in [report.pooledAUC, report.bagMeanAUC] { XCTAssertTrue((0...1).contains(try XCTUnwrap(auc))) }
            }
            scored += attention[.fine]!.bags
        }
        XCTAssertEqual(scored, 16, "18 test bags, s4 without rows and s5 without key instances")
        let summary = try XCTUnwrap(evaluation.summary[.test]?.instanceAttention?[.coarse])
        XCTAssertEqual(summary.pooledAUC.folds, 2)
        XCTAssertEqual(summary.allFolds?.bags, 16)
        XCTAssertEqual(summary.allFolds?.bagsWithoutLabels, 1)
        XCTAssertEqual(summary.allFolds?.bagsWithoutPositives, 1)
        XCTAssertTrue(run.stderr.contains("attention on key instances, test part (2 folds, mean ± std across folds)"), run.stderr)
        XCTAssertTrue(run.stderr.contains("fine-hierarchical (β = 0.5) level, test part (18 slides"), run.stderr)
        let json = String(decoding: run.stdout, as: UTF8.self)
        for key in ["\"instance_attention\"", "\"all_folds\"", "\"hierarchy_beta\" : 0.5", "\"fine_hierarchical\""] {
            XCTAssertTrue(json.contains(key), key)
        }
        // The hierarchical decision's own prediction files.
        let fine = try PredictionCSV.read(
            path: try path("keyed/test/fine_hierarchical/fold_0.csv"), classes: Self.hierarchy.fine,
            level: "fine")
        XCTAssertEqual(fine.slideIDs, t.dataset.folds[0].test)
        XCTAssertFalse(FileManager.default.fileExists(atPath: try path("keyed/attention")), "no attention files without --attention")

        // The same scores whether or not the attention is also exported.
        let exported = try self.run(
            t.foldDocuments + [
                "--out", "keyed2", "--instance-labels", "key.csv", "--hierarchy-beta", "0.5",
                "--bootstrap", "0", "--threads", "1", "--attention", "--quiet"
            ])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        let again = try DocumentIO.decode(PipelineDocument.self, from: exported.stdout, source: "stdout")
        XCTAssertEqual(again.evaluation?.summary[.test]?.instanceAttention, evaluation.summary[.test]?.instanceAttention)
    }

    func testInstanceLabelsOfOtherSlidesOnlyWarn() throws {
        try "slide_id,instance,label\nelsewhere,0,1\n".write(toFile: try path("other.csv"), atomically: true, encoding: .utf8)
        let run = try run([try fixture().foldDocuments[0], "--instance-labels", "other.csv", "--parts", "test", "--bootstrap", "0"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(
            run.stderr.contains("hmil-eval: warning: none of the 9 evaluated slides has rows in other.csv; no attention was scored"),
            run.stderr)
    }

    func testBadInstanceLabelsAndBetaForTheFlatModelAreOneLine() throws {
        let t = try fixture()
        let bag = try XCTUnwrap(t.bags["s0"])
        try "slide_id,instance,label\ns0,\(bag.instanceCount),1\n".write(toFile: try path("range.csv"), atomically: true, encoding: .utf8)
        for (arguments, parts) in [
            (
                [t.foldDocuments[0], "--instance-labels", "range.csv"],
                ["instance \(bag.instanceCount) of slide s0 is out of range", "range.csv, line 2"]
            ),
            ([t.foldDocuments[0], "--instance-labels", "gone.csv"], ["cannot open instance labels", "gone.csv"]),
            (
                [t.flatDocument, "--hierarchy-beta", "1"],
                [
                    "--hierarchy-beta needs a model with a coarse head", "flat ABMIL",
                    "leave out --hierarchy-beta for ABMIL"
                ]
            )
        ] {
            let run = try run(arguments + ["--quiet"])
            XCTAssertEqual(run.status, 1, run.stderr)
            XCTAssertTrue(run.stdout.isEmpty)
            XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, run.stderr)
            XCTAssertTrue(run.stderr.hasPrefix("hmil-eval: error: "), run.stderr)
            for part in parts { XCTAssertTrue(run.stderr.contains(part), "\(part) in \(run.stderr)") }
        }
    }

    // MARK: - External data

    func testExternalDataIsTheMeanOfTheFoldsModels() throws {
        let t = try fixture()
        let run = try run(
            t.foldDocuments + [
                "--dataset", t.external, "--parts", "none", "--out", "ext", "--bootstrap", "20",
                "--attention"
            ])
        XCTAssertEqual(run.status, 0, run.stderr)
        let doc = try DocumentIO.decode(PipelineDocument.self, from: run.stdout, source: "stdout")
        let external = try XCTUnwrap(doc.evaluation?.external)
        XCTAssertEqual(external.slides, 6)
        XCTAssertEqual(external.labelled, 4)
        XCTAssertEqual(external.folds, [0, 1])
        let accuracy = try XCTUnwrap(external.labelledSlides?.levels[.fine]?.metrics[.accuracy]?.value)
        XCTAssertTrue((0...1).contains(accuracy))
        XCTAssertTrue(run.stderr.contains("external data external.json: 6 slides, 4 labelled, mean of 2 folds' models"), run.stderr)

        for level in ["coarse", "coarse_from_fine", "fine"] {
            let mean = try readCSV(try path("ext/external/\(level)/predictions.csv"))
            let folds = try (0..<2).map { try readCSV(try path("ext/external/\(level)/fold_\($0).csv")) }
            XCTAssertEqual(mean.header.prefix(3), ["slide_id", "Y", "Y_hat"])
            XCTAssertEqual(mean.rows.map { $0[0] }, ["x0", "x1", "x2", "x3", "x4", "x5"])
            XCTAssertEqual(mean.rows.map { $0[1] == "" }, [false, false, true, false, true, false], "Y empty when unlabelled")
            for (r, row) in mean.rows.enumerated() {
                let p = row[3...].map { Double($0)! }
                for c in p.indices {
                    let expected = (Double(folds[0].rows[r][3 + c])! + Double(folds[1].rows[r][3 + c])!) / 2
                    XCTAssertEqual(p[c], expected, accuracy: 1e-12, "\(level) \(row[0]) p_\(c)")
                }
                XCTAssertEqual(Double(row[2]), Double(p.indices.max { p[$0] < p[$1] }!), "Y_hat is the arg-max of the mean")
            }
        }
        // Each fold's file is that fold's model alone: the same as evaluating with its document only.
        let single = try self.run([t.foldDocuments[1], "--dataset", t.external, "--parts", "none", "--out", "ext1", "--quiet"])
        XCTAssertEqual(single.status, 0, single.stderr)
        XCTAssertEqual(
            try String(contentsOfFile: try path("ext1/external/fine/fold_1.csv"), encoding: .utf8),
            try String(contentsOfFile: try path("ext/external/fine/fold_1.csv"), encoding: .utf8))
        XCTAssertEqual(
            try String(contentsOfFile: try path("ext1/external/fine/predictions.csv"), encoding: .utf8),
            try String(contentsOfFile: try path("ext1/external/fine/fold_1.csv"), encoding: .utf8))
        let attention = try readCSV(try path("ext/external/attention/fold_1/x4.csv"))
        XCTAssertEqual(attention.rows.count, t.externalBags["x4"]!.instanceCount)
    }

    // MARK: - Bad input

    func testBadInputIsOneLine() throws {
        let t = try fixture()
        let folder = t.folder
        var fold0 = try DocumentIO.decode(
            PipelineDocument.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/fold_0.json")),
            source: "fold_0.json")
        func write(_ document: PipelineDocument, _ name: String) throws {
            try DocumentIO.encode(document).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        func expectError(_ arguments: [String], _ parts: [String]) throws {
            let run = try run(arguments)
            XCTAssertEqual(run.status, 1, run.stderr)
            XCTAssertTrue(run.stdout.isEmpty)
            XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, run.stderr)
            XCTAssertTrue(run.stderr.hasPrefix("hmil-eval: error: "), run.stderr)
            for part in parts { XCTAssertTrue(run.stderr.contains(part), "\(part) in \(run.stderr)") }
        }

        var missing = fold0
        missing.models![0].checkpoint = "runs/hmil/fold_9/best.safetensors"
        try write(missing, "missing.json")
        try expectError(["missing.json", "--quiet"], ["checkpoint file not found", "fold_9/best.safetensors", "missing.json"])

        var otherPlan = try DocumentIO.decode(
            PipelineDocument.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/fold_1.json")),
            source: "fold_1.json")
        otherPlan.folds[1].val = []
        try write(otherPlan, "other_plan.json")
        try expectError(["fold_0.json", "other_plan.json", "--quiet"], ["plan differs from fold_0.json's (folds)", "other_plan.json"])

        // A dataset of another feature dim, and one of another hierarchy.
        let wide = Self.makeBags("w", count: 2, dim: Self.dim + 1, labels: { $0 }, seed: 4)
        _ = try Self.writeDataset(wide, labels: ["N", ""], folds: [], in: folder, name: "wide")
        try expectError(
            ["fold_0.json", "--dataset", "wide.json", "--parts", "none", "--quiet"],
            ["expects 8 features per instance, the document's packs hold 9", "best.safetensors", "wide.json"])
        var relabelled = try DocumentIO.decode(
            PipelineDocument.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/external.json")),
            source: "external.json")
        relabelled.hierarchy.fine = ["N", "DCIS", "UDH"]
        try write(relabelled, "relabelled.json")
        try expectError(
            ["fold_0.json", "--dataset", "relabelled.json", "--quiet"], ["hierarchy", "differs from the models'", "relabelled.json"])

        // The models document with another hierarchy than its checkpoints.
        fold0.hierarchy.coarse = ["malignant", "benign"]
        try write(fold0, "rehierarchy.json")
        try expectError(
            ["rehierarchy.json", "--quiet"], ["checkpoint was trained with hierarchy", "fold_0/best.safetensors", "rehierarchy.json"])

        // Usage errors (ToolCommand): one line on stderr, like bad input.
        for (arguments, message) in [
            (["fold_0.json", "--attention"], "--attention writes files: give --out RESULTS"),
            (["fold_0.json", "--parts", "train"], "'train' is invalid for '--parts"),
            (["fold_0.json", "--threads=-1"], "--threads must be 0 (every core) or more")
        ] {
            let run = try run(arguments)
            XCTAssertNotEqual(run.status, 0)
            XCTAssertTrue(run.stderr.contains(message), run.stderr)
        }
    }

    /// hmil-eval's CSVs have no quoted fields here.
    func readCSV(_ path: String) throws -> (header: [String], rows: [[String]]) {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (lines[0], Array(lines.dropFirst()))
    }
}
