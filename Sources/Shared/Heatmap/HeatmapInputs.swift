import Foundation

/// One slide's attention file to draw, found in hmil-eval's results (README, "hmil-eval"):
/// `RESULTS/attention/fold_<k>/<slide_id>.csv`, or `RESULTS/external/attention/fold_<k>/<slide_id>.csv` for the
/// slides of `hmil-eval --dataset`. `results` is the results folder when the file lies in one, for the predictions
/// (`RESULTS/<part>/<level>/fold_<k>.csv`, `RESULTS/external/<level>/fold_<k>.csv`) and `eval.json`.
public struct AttentionSource: Equatable, Sendable {
    public var slideID: String
    public var fold: Int
    public var path: String
    public var results: String?
    public var external: Bool

    public init(slideID: String, fold: Int, path: String, results: String?, external: Bool) {
        self.slideID = slideID
        self.fold = fold
        self.path = path
        self.results = results
        self.external = external
    }
}

public enum HeatmapInputs {
    /// Every attention file named by `paths`: results folders (their `attention/`, or `external/attention/` with
    /// `external`), `attention/` folders, `fold_<k>/` folders or CSV files.
    public static func find(_ paths: [String], external: Bool) throws -> [AttentionSource] {
        try paths.flatMap { try sources(at: $0, external: external) }
    }

    /// One file per slide, in slide-id order: a slide with files in several folds (a test slide of one fold is a
    /// val slide of another) is drawn from `fold` when given, else from the fold whose test part holds it
    /// (`document`), else the lowest.
    public static func choose(_ all: [AttentionSource], fold: Int?, document: PipelineDocument) throws -> [AttentionSource] {
        var found = all
        if let fold { found.removeAll { $0.fold != fold } }
        var byID: [String: [AttentionSource]] = [:]
        for source in found { byID[source.slideID, default: []].append(source) }
        var testFold: [String: Int] = [:]
        for record in document.folds {
            for id in record.test where testFold[id] == nil { testFold[id] = record.fold }
        }
        var chosen: [AttentionSource] = []
        for id in byID.keys.sorted() {
            let candidates = byID[id]!.sorted { $0.fold < $1.fold }
            if Set(candidates.map(\.fold)).count < candidates.count {
                let paths = candidates.map(\.path)
                throw ToolError(
                    "two attention files for slide \(id) in one fold: \(paths.joined(separator: ", "))",
                    hint: "give each results folder once")
            }
            chosen.append(candidates.first { $0.fold == testFold[id] } ?? candidates[0])
        }
        return chosen
    }

    private static func sources(at path: String, external: Bool) throws -> [AttentionSource] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ToolError("no such file or folder", at: path, hint: "give hmil-eval's --out folder or its attention CSVs")
        }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if !isFolder.boolValue {
            guard url.pathExtension == "csv", let fold = foldNumber(url.deletingLastPathComponent().lastPathComponent) else {
                throw ToolError(
                    "not an attention file: expected fold_<k>/<slide_id>.csv", at: path,
                    hint: "give files as hmil-eval --attention writes them, or a results folder")
            }
            let attention = url.deletingLastPathComponent().deletingLastPathComponent()
            let (results, isExternal) = resultsFolder(ofAttentionFolder: attention)
            return [
                AttentionSource(
                    slideID: url.deletingPathExtension().lastPathComponent, fold: fold, path: url.path,
                    results: results, external: isExternal)
            ]
        }
        if foldNumber(url.lastPathComponent) != nil {
            return try foldFolder(url, external: nil)
        }
        let attention: URL
        if url.lastPathComponent == EvaluationOutput.attentionFolder {
            attention = url
        } else {
            attention =
                external
                ? url.appendingPathComponent(EvaluationOutput.externalFolder).appendingPathComponent(EvaluationOutput.attentionFolder)
                : url.appendingPathComponent(EvaluationOutput.attentionFolder)
            guard FileManager.default.fileExists(atPath: attention.path) else {
                throw ToolError(
                    "no \(external ? "external/" : "")attention folder in the results folder", at: path,
                    hint: "run hmil-eval with --attention\(external ? " and --dataset" : "")")
            }
        }
        var all: [AttentionSource] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: attention.path).sorted() where foldNumber(name) != nil {
            all += try foldFolder(attention.appendingPathComponent(name), external: nil)
        }
        guard !all.isEmpty else {
            throw ToolError("no attention files (fold_<k>/<slide_id>.csv)", at: attention.path, hint: "run hmil-eval with --attention")
        }
        return all
    }

    private static func foldFolder(_ folder: URL, external: Bool?) throws -> [AttentionSource] {
        let fold = foldNumber(folder.lastPathComponent)!
        let (results, isExternal) = resultsFolder(ofAttentionFolder: folder.deletingLastPathComponent())
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().filter { $0.hasSuffix(".csv") }.map {
            AttentionSource(
                slideID: String($0.dropLast(4)), fold: fold, path: folder.appendingPathComponent($0).path,
                results: results, external: external ?? isExternal)
        }
    }

    /// `RESULTS/attention` → (RESULTS, false); `RESULTS/external/attention` → (RESULTS, true); else (nil, false).
    static func resultsFolder(ofAttentionFolder folder: URL) -> (String?, Bool) {
        guard folder.lastPathComponent == EvaluationOutput.attentionFolder else { return (nil, false) }
        let parent = folder.deletingLastPathComponent()
        if parent.lastPathComponent == EvaluationOutput.externalFolder {
            return (parent.deletingLastPathComponent().path, true)
        }
        return (parent.path, false)
    }

    /// k of a folder named `fold_<k>`.
    static func foldNumber(_ name: String) -> Int? {
        guard name.hasPrefix("fold_"), let k = Int(name.dropFirst(5)), k >= 0 else { return nil }
        return k
    }
}
