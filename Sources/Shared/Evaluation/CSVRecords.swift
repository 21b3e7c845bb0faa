/// A small RFC 4180 reader for the CSV files hmil-eval scores: comma-separated, fields optionally in
/// double quotes with `""` for a quote, LF or CRLF line ends, an optional UTF-8 byte-order mark.
/// Blank lines are skipped. Hostile input ends in a thrown error, never a crash. Line numbers (1-based, of the record's first line) go into every error.
struct CSVRecords {
    struct Record {
        var line: Int
        var fields: [String]
    }

    /// Most fields one record may have; a wider row is not a prediction file.
    static let maximumFields = 100_000

    /// Calls `body` with each record in order, so a large file is never held as strings all at once.
    static func parse(_ bytes: [UInt8], source: String, _ body: (Record) throws -> Void) throws {
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var quoted = false
        var fieldWasQuoted = false

        func endField() throws {
            guard let text = String(validating: field, as: UTF8.self) else {
                throw ToolError("field is not valid UTF-8", at: "\(source), line \(recordLine)")
            }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
            if fields.count > maximumFields {
                throw ToolError("more than \(maximumFields) fields in a row", at: "\(source), line \(recordLine)")
            }
        }
        func endRecord() throws {
            try endField()
            if !(fields.count == 1 && fields[0].isEmpty) {
                try body(Record(line: recordLine, fields: fields))
            }
            fields.removeAll(keepingCapacity: true)
        }

        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                try endField()
            case UInt8(ascii: "\n"):
                try endRecord()
                line += 1
                recordLine = line
            case UInt8(ascii: "\r") where index < bytes.count && bytes[index] == UInt8(ascii: "\n"):
                continue
            case UInt8(ascii: "\"") where field.isEmpty && !fieldWasQuoted:
                quoted = true
                fieldWasQuoted = true
            default:
                if fieldWasQuoted {
                    throw ToolError("text after a closing quote", at: "\(source), line \(line)", hint: "quote the whole field")
                }
                field.append(byte)
            }
        }
        if quoted {
            throw ToolError("a quoted field is never closed", at: "\(source), line \(recordLine)")
        }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { try endRecord() }
    }

    /// A field as Python's csv writer (QUOTE_MINIMAL) writes it: quoted only when it must be.
    static func quoted(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
