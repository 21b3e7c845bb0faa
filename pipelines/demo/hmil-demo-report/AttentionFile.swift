import Foundation
import Shared

/// One bag's attention as hmil-eval `--attention` writes it (`attention/fold_<k>/<slide_id>.csv`): a header
/// `instance,x,y,` then one column per attention row — `coarse:<class>`… and `fine:<class>`… for HMIL,
/// a single `attention` column for the flat ABMIL — and one line per instance.
struct AttentionFile {
    let columns: [String]
    /// Column name → attention of every instance, [N]; each column sums to 1 over the instances.
    let values: [String: [Double]]
    let instanceCount: Int

    /// Largest file read: a bag of a million instances with twenty columns.
    static let maximumBytes = 512 << 20

    init(path: String) throws {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else {
            throw ToolError("no attention file", at: path, hint: "run hmil-eval with --attention")
        }
        guard size <= AttentionFile.maximumBytes else { throw ToolError("attention file of \(size) bytes is too large", at: path) }
        let records = try RFC4180.records([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), source: path)
        guard let header = records.first?.fields, header.count > 3, Array(header[0 ..< 3]) == ["instance", "x", "y"] else {
            throw ToolError("header must start with instance,x,y and name at least one attention column", at: "\(path), line 1")
        }
        columns = Array(header[3...])
        var values = [[Double]](repeating: [], count: columns.count)
        for record in records.dropFirst() {
            let at = "\(path), line \(record.line)"
            guard record.fields.count == header.count else {
                throw ToolError("\(record.fields.count) fields where the header has \(header.count)", at: at)
            }
            guard Int(record.fields[0]) == values[0].count else {
                throw ToolError("instance '\(record.fields[0])' out of order (expected \(values[0].count))", at: at)
            }
            for c in columns.indices {
                guard let v = Double(record.fields[3 + c]), v.isFinite, v >= 0 else {
                    throw ToolError("attention '\(record.fields[3 + c])' in column \(columns[c]) is not a number ≥ 0", at: at)
                }
                values[c].append(v)
            }
        }
        instanceCount = values[0].count
        self.values = Dictionary(uniqueKeysWithValues: zip(columns, values))
    }

    /// The row that attends to `fineClass`: `fine:<class>` for HMIL, the only row for a flat model.
    func fineRow(for fineClass: String, source: String) throws -> [Double] {
        if let row = values["fine:" + fineClass] { return row }
        if columns == ["attention"] { return values["attention"]! }
        throw ToolError("no column fine:\(fineClass) or attention", at: source)
    }

    /// The coarse row of `coarseClass` (HMIL only).
    func coarseRow(for coarseClass: String) -> [Double]? { values["coarse:" + coarseClass] }
}
