/// A strict RFC 4180 CSV reader that remembers, for every record, the line it starts on, so errors can
/// name `file, line N` even when a quoted field spans lines. Accepts LF and CRLF line ends, a UTF-8 byte
/// order mark, and a missing final line end; fields are UTF-8 strings, quotes removed and `""` undone.
///
/// (SwiftCSV and CSV.swift parse the same grammar but report neither line numbers nor positions of
/// malformed quotes, which the one-line error contract needs.)
public enum RFC4180 {
    public struct Record: Equatable, Sendable {
        /// 1-based line on which the record starts.
        public var line: Int
        public var fields: [String]
    }

    /// Splits `bytes` into records; `source` names the file in errors. Blank lines are skipped.
    public static func records(_ bytes: [UInt8], source: String, delimiter: UInt8 = UInt8(ascii: ",")) throws -> [Record] {
        let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var quoted = false          // inside a quoted field
        var fieldWasQuoted = false  // the current field began with a quote
        var recordStarted = false

        func endField() throws {
            guard let text = String(validating: field, as: UTF8.self) else {
                throw ToolError("field is not valid UTF-8", at: "\(source), line \(recordLine)", hint: "save the file as UTF-8")
            }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
        }
        func endRecord() throws {
            try endField()
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(line: recordLine, fields: fields)) }
            fields.removeAll(keepingCapacity: true)
            recordStarted = false
        }

        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == quote {
                    if i + 1 < bytes.count, bytes[i + 1] == quote {
                        field.append(quote)
                        i += 2
                        continue
                    }
                    quoted = false
                } else {
                    if b == lf { line += 1 }
                    field.append(b)
                }
                i += 1
                continue
            }
            if !recordStarted {
                recordStarted = true
                recordLine = line
            }
            switch b {
            case quote:
                guard field.isEmpty, !fieldWasQuoted else {
                    throw ToolError("stray quote inside a field", at: "\(source), line \(line)",
                                    hint: "quote the whole field and double quotes inside it (\"\")")
                }
                quoted = true
                fieldWasQuoted = true
            case delimiter:
                try endField()
            case cr where i + 1 < bytes.count && bytes[i + 1] == lf:
                break // the LF that follows ends the record
            case lf:
                try endRecord()
                line += 1
            default:
                if fieldWasQuoted {
                    throw ToolError("text after a closing quote", at: "\(source), line \(line)",
                                    hint: "quote the whole field and double quotes inside it (\"\")")
                }
                field.append(b)
            }
            i += 1
        }
        if quoted {
            throw ToolError("quoted field never closed", at: "\(source), line \(recordLine)", hint: "add the closing quote")
        }
        if recordStarted { try endRecord() }
        return records
    }
}
