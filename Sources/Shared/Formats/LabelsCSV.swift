import Foundation

/// One row of a labels CSV, with the line it came from so later checks can point at it.
public struct LabeledSlide: Equatable, Sendable {
    public var slideID: String
    public var caseID: String
    public var label: String
    /// 1-based line in the source file (0 when the slide did not come from a CSV).
    public var line: Int

    public init(slideID: String, caseID: String, label: String, line: Int = 0) {
        self.slideID = slideID
        self.caseID = caseID
        self.label = label
        self.line = line
    }
}

/// CLAM's labels CSV (DESIGN §2.2): a header naming `case_id`, `slide_id` and the label column
/// (`label` unless told otherwise); other columns are ignored. Ids stay strings (leading zeros kept).
public enum LabelsCSV {
    /// Largest labels file accepted (a million slides need about 50 MB).
    public static let maximumBytes = 1 << 30

    /// Reads and checks `path`: every needed column present, no empty ids or labels, no slide twice.
    public static func read(path: String, labelColumn: String = "label") throws -> [LabeledSlide] {
        let bytes = try readFile(path, what: "labels CSV")
        return try parse(bytes, source: path, labelColumn: labelColumn)
    }

    public static func parse(_ bytes: [UInt8], source: String, labelColumn: String = "label") throws -> [LabeledSlide] {
        let records = try RFC4180.records(bytes, source: source)
        guard let header = records.first else {
            throw ToolError("empty file", at: source, hint: "expected a header line with case_id,slide_id,\(labelColumn)")
        }
        func column(_ name: String) throws -> Int {
            guard let index = header.fields.firstIndex(of: name) else {
                throw ToolError(
                    "no column '\(name)' in the header", at: "\(source), line \(header.line)",
                    hint: "columns are \(header.fields.map { "'\($0)'" }.joined(separator: ", "))"
                        + (name == labelColumn ? "; --label-col picks the label column" : ""))
            }
            return index
        }
        let caseColumn = try column("case_id")
        let slideColumn = try column("slide_id")
        let labelIndex = try column(labelColumn)
        let needed = max(caseColumn, slideColumn, labelIndex) + 1
        guard records.count > 1 else {
            throw ToolError("no slides after the header", at: source, hint: "add one line per slide")
        }

        var slides: [LabeledSlide] = []
        slides.reserveCapacity(records.count - 1)
        var firstLine: [String: Int] = [:]
        firstLine.reserveCapacity(records.count)
        for record in records.dropFirst() {
            let at = "\(source), line \(record.line)"
            guard record.fields.count >= needed else {
                throw ToolError("\(record.fields.count) fields where the header has \(header.fields.count)", at: at)
            }
            let slide = LabeledSlide(
                slideID: record.fields[slideColumn], caseID: record.fields[caseColumn],
                label: record.fields[labelIndex], line: record.line)
            if slide.slideID.isEmpty { throw ToolError("empty slide_id", at: at) }
            if slide.caseID.isEmpty {
                throw ToolError(
                    "empty case_id for slide '\(slide.slideID)'", at: at,
                    hint: "give every slide its patient; use the slide id when each patient has one slide")
            }
            if slide.label.isEmpty { throw ToolError("empty \(labelColumn) for slide '\(slide.slideID)'", at: at) }
            if let first = firstLine[slide.slideID] {
                throw ToolError(
                    "duplicate slide_id '\(slide.slideID)' (first on line \(first))", at: at,
                    hint: "list each slide once")
            }
            firstLine[slide.slideID] = record.line
            slides.append(slide)
        }
        return slides
    }

    /// Reads a whole file with a size cap, naming it on failure.
    static func readFile(_ path: String, what: String, limit: Int = maximumBytes) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ToolError("cannot open \(what)", at: path, hint: "check the path")
        }
        defer { try? handle.close() }
        var bytes: [UInt8] = []
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 1 << 20) } catch {
                throw ToolError("cannot read \(what): \(ToolError.describe(error))", at: path)
            }
            guard let chunk, !chunk.isEmpty else { break }
            bytes.append(contentsOf: chunk)
            if bytes.count > limit {
                throw ToolError("\(what) larger than \(limit >> 20) MiB", at: path)
            }
        }
        return bytes
    }
}
