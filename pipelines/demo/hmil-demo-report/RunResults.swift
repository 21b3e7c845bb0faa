import Foundation
import Shared

/// One run of the demo (`runs/<name>/`): hmil-eval's metrics document `eval.json` (with the attention's
/// key-garment AUCs, `hmil-eval --instance-labels`), its test predictions `results/test/fine/fold_<k>.csv`
/// and attention `results/attention/fold_<k>/<slide_id>.csv` (for the picture).
struct RunResults {
    let name: String
    let folder: String
    let document: PipelineDocument
    let evaluation: EvaluationReport
    /// slide id → fold whose test part holds it.
    let testFold: [String: Int]
    /// slide id → predicted fine class (from the fold's test predictions).
    private(set) var predictedFine: [String: String] = [:]
    /// hmil-eval's key-garment AUCs of the test parts, every fold's bags pooled: the row of the bag's true
    /// fine class (a flat model's only row), and (HMIL only) the coarse row of its true coarse class.
    let fineAttention: InstanceAttentionReport
    let coarseAttention: InstanceAttentionReport?

    init(folder: String) throws {
        self.folder = folder
        name = (folder as NSString).lastPathComponent
        let path = folder + "/eval.json"
        document = try DocumentIO.read(PipelineDocument.self, from: path, what: "metrics document").document
        guard let evaluation = document.evaluation else {
            throw ToolError("no evaluation in the document", at: path, hint: "give the folder of a run hmil-eval finished")
        }
        self.evaluation = evaluation
        guard let attention = evaluation.summary[.test]?.instanceAttention, let fine = attention[.fine]?.allFolds else {
            throw ToolError(
                "no key-garment AUCs of the test parts in the document", at: path,
                hint: "run hmil-eval with --instance-labels instance_labels.csv (pipelines/Makefile does for the demo)")
        }
        fineAttention = fine
        coarseAttention = attention[.coarse]?.allFolds
        var testFold: [String: Int] = [:]
        for fold in document.folds where evaluation.folds.contains(where: { $0.fold == fold.fold }) {
            for id in fold.test { testFold[id] = fold.fold }
        }
        self.testFold = testFold
        try readPredictions()
    }

    var results: String { folder + "/results" }

    func attentionPath(slideID: String) -> String? {
        testFold[slideID].map { "\(results)/attention/fold_\($0)/\(slideID).csv" }
    }

    /// The true fine label of every slide.
    var labels: [String: String] { Dictionary(uniqueKeysWithValues: document.slides.map { ($0.slideID, $0.label) }) }

    private mutating func readPredictions() throws {
        let fine = document.hierarchy.fine
        for fold in Set(testFold.values) {
            let path = "\(results)/test/fine/fold_\(fold).csv"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let records = try RFC4180.records([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), source: path)
            guard let header = records.first?.fields, let id = header.firstIndex(of: "slide_id"),
                let yHat = header.firstIndex(of: "Y_hat")
            else {
                throw ToolError("header lacks slide_id or Y_hat", at: "\(path), line 1")
            }
            for record in records.dropFirst() where record.fields.count == header.count {
                guard let k = Double(record.fields[yHat]).map({ Int($0) }), fine.indices.contains(k) else {
                    throw ToolError("Y_hat '\(record.fields[yHat])' is not a fine class index", at: "\(path), line \(record.line)")
                }
                predictedFine[record.fields[id]] = fine[k]
            }
        }
    }
}
