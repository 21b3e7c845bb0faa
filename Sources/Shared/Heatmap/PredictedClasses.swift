import Foundation

/// A slide's predicted class as hmil-eval wrote it, for choosing the attention row and for the caption.
public struct SlidePrediction: Equatable, Sendable {
    public var className: String
    public var probability: Double
    /// "test", "val" or "external".
    public var part: String

    public init(className: String, probability: Double, part: String) {
        self.className = className
        self.probability = probability
        self.part = part
    }
}

/// Reads the predicted classes from hmil-eval's CLAM-layout prediction files (`slide_id,Y,Y_hat,p_0..`):
/// `RESULTS/<part>/<level>/fold_<k>.csv`, or `RESULTS/external/<level>/fold_<k>.csv`, where `Y` is empty for an
/// unlabelled slide or absent. Only `slide_id`, `Y_hat` and `p_<Y_hat>` are read.
enum PredictedClasses {
    /// The prediction of every source whose results folder has one, by slide id.
    static func load(_ sources: [AttentionSource], document: PipelineDocument, level: PredictionFiles.Level) throws -> [String:
        SlidePrediction]
    {
        let classes = level == .fine ? document.hierarchy.fine : document.hierarchy.coarse
        var files: [String: [String: (Int, Double)]] = [:]
        var found: [String: SlidePrediction] = [:]
        for source in sources {
            guard let results = source.results, let part = part(of: source, document: document) else { continue }
            let folder = source.external ? "\(results)/\(EvaluationOutput.externalFolder)" : "\(results)/\(part)"
            let path = "\(folder)/\(level.rawValue)/fold_\(source.fold).csv"
            if files[path] == nil {
                guard FileManager.default.fileExists(atPath: path) else { continue }
                files[path] = try read(path, classCount: classes.count)
            }
            if let hit = files[path]?[source.slideID] {
                found[source.slideID] = SlidePrediction(className: classes[hit.0], probability: hit.1, part: part)
            }
        }
        return found
    }

    /// The part of its fold a source's slide was predicted in.
    static func part(of source: AttentionSource, document: PipelineDocument) -> String? {
        if source.external { return EvaluationOutput.externalFolder }
        guard let fold = document.folds.first(where: { $0.fold == source.fold }) else { return nil }
        if fold.test.contains(source.slideID) { return EvaluationPart.test.rawValue }
        if fold.val.contains(source.slideID) { return EvaluationPart.val.rawValue }
        return nil
    }

    static func read(_ path: String, classCount: Int) throws -> [String: (Int, Double)] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ToolError("cannot read prediction file", at: path) }
        guard data.count <= PredictionCSV.maximumFileBytes else { throw ToolError("prediction file is too large", at: path) }
        var columns: (slide: Int, yHat: Int, p: [Int])?
        var result: [String: (Int, Double)] = [:]
        try RFC4180.forEachRecord([UInt8](data), source: path) { record in
            guard let found = columns else {
                let names = record.fields
                let ps = (0..<classCount).compactMap { names.firstIndex(of: "p_\($0)") }
                guard let slide = names.firstIndex(of: "slide_id"), let yHat = names.firstIndex(of: "Y_hat"), ps.count == classCount else {
                    throw ToolError(
                        "expected columns slide_id, Y_hat and p_0..p_\(classCount - 1)", at: "\(path), line \(record.line)",
                        hint: "a prediction file from hmil-eval (CLAM's fold_k.csv layout)")
                }
                columns = (slide, yHat, ps)
                return
            }
            let (slide, yHat, p) = found
            let at = "\(path), line \(record.line)"
            guard record.fields.count > max(slide, yHat, p.max()!) else { throw ToolError("row has too few fields", at: at) }
            guard let value = Double(record.fields[yHat]), value == value.rounded(), (0..<Double(classCount)).contains(value) else {
                throw ToolError("Y_hat '\(record.fields[yHat])' is not a class index below \(classCount)", at: at)
            }
            let index = Int(value)
            guard let probability = Double(record.fields[p[index]]), probability.isFinite else {
                throw ToolError("p_\(index) '\(record.fields[p[index]])' is not a number", at: at)
            }
            result[record.fields[slide]] = (index, probability)
        }
        return result
    }
}
