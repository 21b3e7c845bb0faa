import Foundation

/// The one CSV writer: fields quoted as Python's csv module (QUOTE_MINIMAL, as pandas' `to_csv`) quotes
/// them, so files hmil writes in CLAM's layouts are byte-identical to CLAM's. A field is quoted only when
/// it holds a comma, a double quote or a line end, and a quote inside is doubled. `RFC4180` reads it back.
public struct CSVWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Appends `text` as it is: separators, line ends and fields known to need no quotes (numbers).
    public mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// Appends one field, quoted when it must be.
    public mutating func field(_ text: String) { raw(Self.quoted(text)) }

    /// `text` as one field: unchanged, or in double quotes with its quotes doubled.
    public static func quoted(_ text: String) -> String {
        // Bytes, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
        let needsQuotes = text.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
