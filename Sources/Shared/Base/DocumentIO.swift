import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reading and writing the JSON documents tools pass along the pipeline (DESIGN §1):
/// read from a path or stdin, write the whole document to stdout and atomically into the `--out` folder.
public enum DocumentIO {
    /// Largest document accepted; a plan for a million slides stays far below this.
    public static let maximumDocumentBytes = 1 << 30

    /// Reads a file, or stdin when `path` is nil or "-".
    public static func readInput(_ path: String?, what: String = "input document") throws -> Data {
        if let path, path != "-" {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ToolError("cannot open \(what)", at: path, hint: "check the path")
            }
            defer { try? handle.close() }
            return try readBounded(handle, name: path)
        }
        if isatty(0) == 1 {
            throw ToolError("no \(what) on stdin", hint: "pipe the previous step's output in, or give a path")
        }
        return try readBounded(FileHandle.standardInput, name: "stdin")
    }

    private static func readBounded(_ handle: FileHandle, name: String) throws -> Data {
        var data = Data()
        while true {
            guard let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty else { break }
            data.append(chunk)
            if data.count > maximumDocumentBytes {
                throw ToolError("document larger than \(maximumDocumentBytes >> 20) MiB", at: name)
            }
        }
        return data
    }

    /// Decodes a pipeline document, naming the source and the offending key on failure.
    public static func decode<T: Decodable>(
        _ type: T.Type, from data: Data, source: String,
        decoder: JSONDecoder = JSONDecoder()
    ) throws -> T {
        do {
            return try decoder.decode(type, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw ToolError(
                "missing key '\(path(context.codingPath + [key]))' in document", at: source,
                hint: "pass the output of the previous hmil step")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ToolError("wrong type at '\(path(context.codingPath))': \(context.debugDescription)", at: source)
        } catch let DecodingError.valueNotFound(_, context) {
            throw ToolError("null value at '\(path(context.codingPath))'", at: source)
        } catch let DecodingError.dataCorrupted(context) {
            // Without a key path the text is not JSON at all; with one, a value is not allowed there.
            if context.codingPath.isEmpty {
                throw ToolError("not valid JSON: \(context.debugDescription)", at: source)
            }
            throw ToolError("bad value at '\(path(context.codingPath))': \(context.debugDescription)", at: source)
        }
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    /// Deterministic encoding: sorted keys, pretty, one trailing newline.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }

    /// Saves the document as `folder/name` (atomically) when a folder is given, then writes it to stdout.
    public static func emit<T: Encodable>(_ value: T, saveIn folder: String?, as name: String) throws {
        let data = try encode(value)
        if let folder {
            try AtomicFile.write(data, to: folder + "/" + name)
        }
        try StandardOutput.write(data)
    }
}

/// A value spelled as one of a fixed set of names in a document or a config file: an enum whose raw
/// values are the JSON spelling (and, in the tools, the flag's values). A name outside the set fails to
/// decode with a message that lists the set, which `DocumentIO.decode` reports with the key and file:
/// `bad value at 'optimizer': unknown value 'lbfgs'; use adam or sgd (c.json)`.
public protocol NamedChoice: RawRepresentable, CaseIterable, Codable, Sendable where RawValue == String {}

extension NamedChoice {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let value = Self(rawValue: name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown value '\(name)'; use \(Self.names)")
        }
        self = value
    }

    /// Every name, "a, b or c".
    public static var names: String {
        let all = allCases.map(\.rawValue)
        return all.count < 2 ? all.joined() : all.dropLast().joined(separator: ", ") + " or " + all.last!
    }
}
