import Foundation

/// `hmil-eval --instance-labels FILE.csv`: which instances of a bag are key instances (e.g. patches inside
/// a tumour annotation, as CAMELYON16's), to score how well attention finds them (`InstanceAttention`).
///
/// ```
/// slide_id,instance,label
/// BRACS_745,0,0
/// BRACS_745,1,1
/// ```
/// A header naming `slide_id`, `instance` and `label` (any order; other columns ignored), then one row
/// per instance: `instance` is the bag's feature row (0..N−1, the order of the pack and of the attention
/// files), `label` is 1 for a key instance and 0 for any other. Rows may come in any order. A slide that
/// has rows must have one for each of its instances, exactly once; that is checked against the bag's
/// size (`flags(of:instanceCount:)`) before any slide is predicted. A slide without rows is not scored;
/// rows of a slide that is not evaluated are ignored. Every error names the file and line.
public struct InstanceLabels: Sendable {
    /// Largest file accepted: 1 GiB, some 30 million instances.
    public static let maximumBytes = 1 << 30

    /// The rows of one slide, in file order.
    struct Rows: Sendable {
        var instances: [Int32] = []
        var labels: [Bool] = []
        var lines: [Int] = []
    }

    /// The file's path (or name), for errors and the report.
    public let source: String
    private let slides: [String: Rows]

    /// Reads `path`, refusing a file larger than `limit` bytes before holding more than that in memory.
    public static func read(path: String, limit: Int = maximumBytes) throws -> InstanceLabels {
        try parse(LabelsCSV.readFile(path, what: "instance labels", limit: limit), source: path)
    }

    public static func parse(_ bytes: [UInt8], source: String) throws -> InstanceLabels {
        var columns: (slide: Int, instance: Int, label: Int, width: Int)?
        var slides: [String: Rows] = [:]
        try RFC4180.forEachRecord(bytes, source: source) { record in
            let at = "\(source), line \(record.line)"
            guard let (slideColumn, instanceColumn, labelColumn, width) = columns else {
                func column(_ name: String) throws -> Int {
                    guard let index = record.fields.firstIndex(of: name) else {
                        throw ToolError(
                            "no column '\(name)' in the header", at: at,
                            hint: "instance labels have the columns slide_id,instance,label (1 = key instance, 0 = not)")
                    }
                    return index
                }
                columns = (try column("slide_id"), try column("instance"), try column("label"), record.fields.count)
                return
            }
            guard record.fields.count == width else {
                throw ToolError("\(record.fields.count) fields where the header has \(width)", at: at)
            }
            let slide = record.fields[slideColumn]
            guard !slide.isEmpty else { throw ToolError("empty slide_id", at: at) }
            let text = record.fields[instanceColumn]
            guard let instance = Int32(text), instance >= 0 else {
                throw ToolError(
                    "instance '\(text)' of slide \(slide) is not a row number 0, 1, …", at: at,
                    hint: "instance is the bag's feature row, counted from 0")
            }
            let flag: Bool
            switch record.fields[labelColumn] {
            case "1": flag = true
            case "0": flag = false
            case let other:
                throw ToolError("label '\(other)' of slide \(slide) is not 0 or 1", at: at, hint: "1 = key instance, 0 = not")
            }
            slides[slide, default: Rows()].instances.append(instance)
            slides[slide]!.labels.append(flag)
            slides[slide]!.lines.append(record.line)
        }
        guard columns != nil else {
            throw ToolError("empty file", at: source, hint: "expected a header line with slide_id,instance,label")
        }
        guard !slides.isEmpty else { throw ToolError("no instances after the header", at: source, hint: "add one row per instance") }
        return InstanceLabels(source: source, slides: slides)
    }

    private init(source: String, slides: [String: Rows]) {
        self.source = source
        self.slides = slides
    }

    /// Slides with rows.
    public var slideIDs: [String] { slides.keys.sorted() }

    public func contains(_ slideID: String) -> Bool { slides[slideID] != nil }

    /// Rows of the slide labelled 1 (key); nil when the slide has no rows.
    public func keyCount(of slideID: String) -> Int? { slides[slideID].map { $0.labels.reduce(0) { $0 + ($1 ? 1 : 0) } } }

    /// Whether each of the slide's `instanceCount` instances is a key instance, in bag order; nil when the
    /// slide has no rows. An instance out of range, listed twice or missing is an error naming the line.  [N]
    public func flags(of slideID: String, instanceCount n: Int) throws -> [Bool]? {
        guard let rows = slides[slideID] else { return nil }
        var flags = [Bool](repeating: false, count: n)
        var lineOf = [Int](repeating: 0, count: n)  // 0: no row yet
        for (r, instance) in rows.instances.enumerated() {
            let at = "\(source), line \(rows.lines[r])"
            let i = Int(instance)
            guard i < n else {
                throw ToolError(
                    "instance \(i) of slide \(slideID) is out of range: the bag has \(n) instances (0…\(n - 1))", at: at,
                    hint: "instance is the bag's feature row, as in the pack and the attention files")
            }
            guard lineOf[i] == 0 else {
                throw ToolError(
                    "instance \(i) of slide \(slideID) listed twice (first on line \(lineOf[i]))", at: at,
                    hint: "one row per instance")
            }
            lineOf[i] = rows.lines[r]
            flags[i] = rows.labels[r]
        }
        if let missing = lineOf.firstIndex(of: 0) {
            throw ToolError(
                "slide \(slideID) has rows for \(rows.instances.count) of its \(n) instances (first missing: \(missing))",
                at: source, hint: "give every instance of a listed slide a row, label 0 or 1")
        }
        return flags
    }
}
