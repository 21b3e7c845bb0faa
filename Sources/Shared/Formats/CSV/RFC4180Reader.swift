/// The one CSV reader: strict RFC 4180 that remembers, for every record, the line it starts on, so
/// errors can name `file, line N` even when a quoted field spans lines. Accepts LF and CRLF line ends,
/// a UTF-8 byte order mark, and a missing final line end; fields are UTF-8 strings, quotes removed and
/// `""` undone. Blank lines are skipped. Hostile input ends in a thrown error, never a crash.
///
/// (SwiftCSV and CSV.swift parse the same grammar but report neither line numbers nor positions of
/// malformed quotes, which the one-line error contract needs.) `CSVWriter` writes what this reads.
public enum RFC4180 {
    public struct Record: Equatable, Sendable {
        /// 1-based line on which the record starts.
        public var line: Int
        public var fields: [String]
    }

    /// Most fields one record may have: a wider row is no table hmil reads, and the limit keeps a
    /// hostile file of commas from turning into billions of empty strings.
    public static let maximumFields = 100_000

    /// Splits `bytes` into records; `source` names the file in errors.
    public static func records(_ bytes: [UInt8], source: String, delimiter: UInt8 = UInt8(ascii: ",")) throws -> [Record] {
        var records: [Record] = []
        try forEachRecord(bytes, source: source, delimiter: delimiter) { records.append($0) }
        return records
    }

    /// Calls `body` with each record in order, so a large file is never held as strings all at once.
    public static func forEachRecord(
        _ bytes: [UInt8], source: String, delimiter: UInt8 = UInt8(ascii: ","),
        _ body: (Record) throws -> Void
    ) throws {
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(buffer: buffer, source: source, delimiter: delimiter)
            try reader.read(body)
        }
    }

    private struct Reader {
        let buffer: UnsafeBufferPointer<UInt8>
        let source: String
        let delimiter: UInt8
        var fields: [String] = []
        var line = 1
        var recordLine = 1

        static let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

        init(buffer: UnsafeBufferPointer<UInt8>, source: String, delimiter: UInt8) {
            self.buffer = buffer
            self.source = source
            self.delimiter = delimiter
        }

        mutating func read(_ body: (Record) throws -> Void) throws {
            var i = buffer.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            var atRecordStart = true
            while i < buffer.count {
                if atRecordStart { recordLine = line }
                // One field: quoted or plain, ending at the delimiter, a line end, or the end of input.
                if buffer[i] == Self.quote {
                    i = try quotedField(from: i + 1)
                } else {
                    let start = i
                    while i < buffer.count, buffer[i] != delimiter, buffer[i] != Self.lf,
                        !(buffer[i] == Self.cr && i + 1 < buffer.count && buffer[i + 1] == Self.lf)
                    {
                        if buffer[i] == Self.quote {
                            throw ToolError(
                                "stray quote inside a field", at: "\(source), line \(line)",
                                hint: "quote the whole field and double quotes inside it (\"\")")
                        }
                        i += 1
                    }
                    try append(UnsafeBufferPointer(rebasing: buffer[start..<i]))
                }
                // What ends the field.
                if i == buffer.count {
                    try endRecord(body)
                } else if buffer[i] == delimiter {
                    i += 1
                    atRecordStart = false
                    if i == buffer.count {
                        try append(UnsafeBufferPointer(rebasing: buffer[i..<i]))
                        try endRecord(body)
                    }
                    continue
                } else {
                    i += buffer[i] == Self.cr ? 2 : 1
                    try endRecord(body)
                    line += 1
                }
                atRecordStart = true
            }
        }

        /// Reads a quoted field whose opening quote is just before `start`; returns the index after the closing quote.
        mutating func quotedField(from start: Int) throws -> Int {
            var value: [UInt8] = []
            var i = start
            while i < buffer.count {
                let b = buffer[i]
                if b == Self.quote {
                    if i + 1 < buffer.count, buffer[i + 1] == Self.quote {
                        value.append(Self.quote)
                        i += 2
                        continue
                    }
                    i += 1
                    let ends =
                        i == buffer.count || buffer[i] == delimiter || buffer[i] == Self.lf
                        || (buffer[i] == Self.cr && i + 1 < buffer.count && buffer[i + 1] == Self.lf)
                    guard ends else {
                        throw ToolError(
                            "text after a closing quote", at: "\(source), line \(line)",
                            hint: "quote the whole field and double quotes inside it (\"\")")
                    }
                    try value.withUnsafeBufferPointer { try append($0) }
                    return i
                }
                if b == Self.lf { line += 1 }
                value.append(b)
                i += 1
            }
            throw ToolError("quoted field never closed", at: "\(source), line \(recordLine)", hint: "add the closing quote")
        }

        mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) throws {
            guard fields.count < RFC4180.maximumFields else {
                throw ToolError("more than \(RFC4180.maximumFields) fields in a row", at: "\(source), line \(recordLine)")
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw ToolError("field is not valid UTF-8", at: "\(source), line \(recordLine)", hint: "save the file as UTF-8")
            }
            fields.append(text)
        }

        /// Ends the record; a blank line (one empty field) is no record.
        mutating func endRecord(_ body: (Record) throws -> Void) throws {
            if !(fields.count == 1 && fields[0].isEmpty) { try body(Record(line: recordLine, fields: fields)) }
            fields.removeAll(keepingCapacity: true)
        }
    }
}
