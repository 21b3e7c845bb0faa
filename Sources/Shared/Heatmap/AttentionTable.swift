import Foundation

/// One slide's attention as `hmil-eval --attention` writes it (`AttentionCSV`): a header `instance,x,y,`
/// then one column per attention row (`coarse:<class>`…, `fine:<class>`…, or `attention`), and one line per
/// instance in bag order. Read with a byte-level number parser, since a slide has up to a few hundred thousand
/// patches: every field is checked, and errors name the file and line.
public struct AttentionTable: Sendable {
    /// The attention columns' names, in file order.
    public let columns: [String]
    /// Patch coordinates as packed; nil when the pack has none (empty x,y fields).
    public let x: [Double]?
    public let y: [Double]?
    /// values[c][i]: attention of column c for instance i.
    public let values: [[Float]]

    public var instanceCount: Int { values.first?.count ?? 0 }

    /// Largest file read: a million instances with twenty columns.
    public static let maximumBytes = 512 << 20

    public static func read(_ path: String) throws -> AttentionTable {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
            let data = FileManager.default.contents(atPath: path)
        else {
            throw ToolError("cannot read attention file", at: path, hint: "run hmil-eval with --attention")
        }
        guard size <= maximumBytes, data.count <= maximumBytes else {
            throw ToolError("attention file of \(size) bytes is larger than \(maximumBytes >> 20) MiB", at: path)
        }
        return try parse([UInt8](data), source: path)
    }

    public static func parse(_ input: [UInt8], source: String) throws -> AttentionTable {
        var bytes = input
        bytes.append(0)  // every field ends in a NUL for strtod: separators are overwritten below
        let end = bytes.count - 1
        let headerStart = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let headerEnd = bytes[headerStart...].firstIndex(of: UInt8(ascii: "\n")) ?? end
        var header: [String] = []
        let headerText =
            bytes[headerStart..<headerEnd].last == UInt8(ascii: "\r") ? bytes[headerStart..<headerEnd - 1] : bytes[headerStart..<headerEnd]
        try RFC4180.forEachRecord(Array(headerText), source: source) { if header.isEmpty { header = $0.fields } }
        guard header.count > 3, Array(header[0..<3]) == ["instance", "x", "y"] else {
            throw ToolError(
                "header must be instance,x,y then the attention columns", at: "\(source), line 1",
                hint: "give a file from hmil-eval --attention")
        }
        let columns = Array(header[3...])
        if let twice = columns.first(where: { name in columns.filter { $0 == name }.count > 1 }) {
            throw ToolError("column '\(twice)' appears twice", at: "\(source), line 1")
        }

        var xs: [Double] = []
        var ys: [Double] = []
        var values = [[Float]](repeating: [], count: columns.count)
        var coordinatesPresent: Bool?
        try bytes.withUnsafeMutableBufferPointer { buffer in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var starts: [Int] = []
            var line = 1
            var i = min(end, headerEnd + 1)
            while i < end {
                line += 1
                var lineEnd = i
                while lineEnd < end, buffer[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                var contentEnd = lineEnd
                if contentEnd > i, buffer[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
                defer { i = lineEnd + 1 }
                if contentEnd == i { continue }  // a blank line
                starts.removeAll(keepingCapacity: true)
                starts.append(i)
                for j in i..<contentEnd where buffer[j] == UInt8(ascii: ",") {
                    buffer[j] = 0
                    starts.append(j + 1)
                }
                buffer[contentEnd] = 0
                let at = "\(source), line \(line)"
                guard starts.count == header.count else {
                    throw ToolError("row has \(starts.count) fields, the header has \(header.count)", at: at)
                }
                /// Field k as a number; nil when empty.
                func number(_ k: Int) throws -> Double? {
                    let first = starts[k]
                    let last = k + 1 < starts.count ? starts[k + 1] - 1 : contentEnd
                    if first == last { return nil }
                    var stop: UnsafeMutablePointer<CChar>?
                    let value = strtod(base + first, &stop)
                    guard stop == base + last, value.isFinite else {
                        let text = String(decoding: buffer[first..<min(last, first + 40)], as: UTF8.self)
                        throw ToolError("\(header[k]) is '\(text)', not a number", at: at)
                    }
                    return value
                }
                guard let instance = try number(0), instance == Double(values[0].count) else {
                    throw ToolError(
                        "instance out of order (expected \(values[0].count))", at: at,
                        hint: "rows list instances 0, 1, 2, … in bag order")
                }
                let x = try number(1)
                let y = try number(2)
                guard (x == nil) == (y == nil), coordinatesPresent.map({ $0 == (x != nil) }) ?? true else {
                    throw ToolError("coordinates given for some instances and not others", at: at)
                }
                coordinatesPresent = x != nil
                if let x, let y {
                    xs.append(x)
                    ys.append(y)
                }
                for c in columns.indices {
                    guard let value = try number(3 + c), value >= 0 else {
                        throw ToolError("attention in column \(columns[c]) is empty or negative", at: at)
                    }
                    values[c].append(Float(value))
                }
            }
        }
        guard !values[0].isEmpty else { throw ToolError("attention file has a header but no instances", at: source) }
        let present = coordinatesPresent ?? false
        return AttentionTable(columns: columns, x: present ? xs : nil, y: present ? ys : nil, values: values)
    }

    /// The values of `column`, or nil when the file has no such column.
    public func column(_ name: String) -> [Float]? {
        columns.firstIndex(of: name).map { values[$0] }
    }
}
