import Foundation
import Shared

/// One run of the demo (`runs/<name>/`): hmil-eval's metrics document `eval.json`, its test predictions
/// `results/test/fine/fold_<k>.csv` and attention `results/attention/fold_<k>/<slide_id>.csv`.
struct RunResults {
    let name: String
    let folder: String
    let document: PipelineDocument
    let evaluation: EvaluationReport
    /// slide id → fold whose test part holds it.
    let testFold: [String: Int]
    /// slide id → predicted fine class (from the fold's test predictions).
    private(set) var predictedFine: [String: String] = [:]
    private(set) var fineAttention = KeyGarmentAUC()
    /// HMIL only: the coarse attention row of the bag's coarse class, scored the same way.
    private(set) var coarseAttention = KeyGarmentAUC()

    init(folder: String) throws {
        self.folder = folder
        name = (folder as NSString).lastPathComponent
        let path = folder + "/eval.json"
        document = try DocumentIO.decode(PipelineDocument.self, from: DocumentIO.readInput(path, what: "metrics document"), source: path)
        guard let evaluation = document.evaluation else {
            throw ToolError("no evaluation in the document", at: path, hint: "give the folder of a run hmil-eval finished")
        }
        self.evaluation = evaluation
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
                  let yHat = header.firstIndex(of: "Y_hat") else {
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

    /// Scores the attention of every test bag of a class with key garments.
    mutating func scoreAttention(instances: InstanceLabels, normalClasses: Set<String>) throws {
        let labels = self.labels
        for slideID in testFold.keys.sorted() {
            guard let label = labels[slideID], !normalClasses.contains(label) else { continue }
            let path = attentionPath(slideID: slideID)!
            let file = try AttentionFile(path: path)
            guard let keys = instances.isKey[slideID] else {
                throw ToolError("slide \(slideID) is not in the instance labels", at: path, hint: "use the data set the runs were trained on")
            }
            guard keys.count == file.instanceCount else {
                throw ToolError("\(file.instanceCount) instances where the instance labels have \(keys.count)", at: path)
            }
            fineAttention.add(attention: try file.fineRow(for: label, source: path), isKey: keys)
            if let parent = document.hierarchy.parent[label], let row = file.coarseRow(for: parent) {
                coarseAttention.add(attention: row, isKey: keys)
            }
        }
        fineAttention.finish()
        coarseAttention.finish()
    }
}
