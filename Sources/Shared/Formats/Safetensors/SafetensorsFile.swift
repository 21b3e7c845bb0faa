import Foundation

/// Element types of the safetensors format, with their sizes in bytes.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }
}

/// One tensor's entry in the header; `byteRange` is within the data section.
public struct SafetensorsTensorInfo: Equatable, Sendable {
    public var name: String
    public var dtype: SafetensorsDType
    public var shape: [Int]
    public var byteRange: Range<Int>

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A safetensors file (huggingface/safetensors): u64 little-endian header length, a JSON header
/// `{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}`, then the
/// raw little-endian tensor bytes. The reader treats the bytes as hostile: every guard below has its
/// own error case, and nothing is allocated from a size the file states before that size is checked.
public struct SafetensorsFile {
    /// Largest header accepted (the reference implementation's limit).
    public static let headerLimit = 100_000_000

    public let tensors: [SafetensorsTensorInfo]  // in data order
    public let metadata: [String: String]
    private let bytes: Data
    private let dataStart: Int

    /// Parses and validates a whole file held in memory.
    public init(bytes: Data) throws {
        let size = bytes.count
        guard size >= 8 else { throw SafetensorsError.tooShort(size: size) }
        let length = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) }
        guard length <= UInt64(Self.headerLimit) else {
            throw SafetensorsError.headerTooLarge(length: length, limit: Self.headerLimit)
        }
        guard 8 + Int(length) <= size else { throw SafetensorsError.headerBeyondFile(length: length, fileSize: size) }
        let start = bytes.startIndex
        let headerBytes = bytes[(start + 8)..<(start + 8 + Int(length))]
        guard String(data: headerBytes, encoding: .utf8) != nil else { throw SafetensorsError.headerNotUTF8 }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerBytes, options: [])
        } catch {
            throw SafetensorsError.headerNotJSON((error as NSError).localizedDescription)
        }
        guard let header = json as? [String: Any] else { throw SafetensorsError.headerNotObject }

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let map = raw as? [String: Any] else { throw SafetensorsError.metadataNotStringMap }
            for (key, value) in map {
                guard let text = value as? String else { throw SafetensorsError.metadataNotStringMap }
                metadata[key] = text
            }
        }

        var tensors: [SafetensorsTensorInfo] = []
        for (name, raw) in header where name != "__metadata__" {
            tensors.append(try Self.parseEntry(name: name, raw))
        }
        // The tensors must tile the data section exactly: sorted by offset, no gap, no overlap.
        tensors.sort {
            ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name)
        }
        var next = 0
        for t in tensors {
            guard t.byteRange.lowerBound == next else {
                throw SafetensorsError.offsetsNotContiguous(name: t.name, begin: t.byteRange.lowerBound, expected: next)
            }
            next = t.byteRange.upperBound
        }
        let dataBytes = size - 8 - Int(length)
        guard next == dataBytes else { throw SafetensorsError.dataNotFilled(tensorBytes: next, dataBytes: dataBytes) }

        self.tensors = tensors
        self.metadata = metadata
        self.bytes = bytes
        dataStart = 8 + Int(length)
    }

    private static func parseEntry(name: String, _ raw: Any) throws -> SafetensorsTensorInfo {
        guard let entry = raw as? [String: Any] else {
            throw SafetensorsError.invalidTensorEntry(name: name, reason: "entry is not an object")
        }
        guard let dtypeName = entry["dtype"] as? String else {
            throw SafetensorsError.invalidTensorEntry(name: name, reason: "missing or non-string \"dtype\"")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw SafetensorsError.unknownDType(name: name, dtype: dtypeName)
        }
        guard let shapeList = entry["shape"] as? [Any] else {
            throw SafetensorsError.invalidTensorEntry(name: name, reason: "missing or non-list \"shape\"")
        }
        guard let offsetList = entry["data_offsets"] as? [Any], offsetList.count == 2 else {
            throw SafetensorsError.invalidTensorEntry(name: name, reason: "\"data_offsets\" must be [begin, end]")
        }
        var shape: [Int] = []
        var count = 1
        for item in shapeList {
            guard let dim = exactInt(item), dim >= 0 else { throw SafetensorsError.invalidShape(name: name) }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw SafetensorsError.invalidShape(name: name) }
            shape.append(dim)
            count = product
        }
        guard let begin = exactInt(offsetList[0]), let end = exactInt(offsetList[1]), begin >= 0, end >= 0 else {
            throw SafetensorsError.invalidTensorEntry(name: name, reason: "\"data_offsets\" must be non-negative integers")
        }
        guard begin <= end else { throw SafetensorsError.invalidOffsets(name: name, begin: begin, end: end) }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw SafetensorsError.invalidShape(name: name) }
        guard end - begin == bytes else {
            throw SafetensorsError.sizeMismatch(name: name, expectedBytes: bytes, actualBytes: end - begin)
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// An integer JSON number within Int: not true/false (objCType "c"), not written with a
    /// fraction or exponent (objCType "d").
    private static func exactInt(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let kind = String(cString: number.objCType)
        guard kind != "c", kind != "d", kind != "f" else { return nil }
        return number as? Int
    }

    /// Reads and validates the file at `path`; errors name the file.
    public static func read(path: String) throws -> SafetensorsFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw ToolError(
                "cannot read \(path): \((error as NSError).localizedDescription)", at: path,
                hint: "check the path")
        }
        do {
            return try SafetensorsFile(bytes: data)
        } catch let error as SafetensorsError {
            throw ToolError(
                "not a valid safetensors file: \(error)", at: path,
                hint: "the file is damaged or not a safetensors checkpoint")
        }
    }

    public func info(_ name: String) -> SafetensorsTensorInfo? { tensors.first { $0.name == name } }

    /// The tensor's raw bytes.
    public func rawBytes(_ name: String) throws -> Data {
        guard let t = info(name) else { throw SafetensorsError.missingTensor(name) }
        let base = bytes.startIndex + dataStart
        return bytes[(base + t.byteRange.lowerBound)..<(base + t.byteRange.upperBound)]
    }

    /// The tensor's values as f32 (from F32, F16, BF16 or F64), row-major.
    public func floats(_ name: String) throws -> [Float] {
        guard let t = info(name) else { throw SafetensorsError.missingTensor(name) }
        let raw = try rawBytes(name)
        let n = t.elementCount
        let values = raw.withUnsafeBytes { (p: UnsafeRawBufferPointer) -> [Float]? in
            switch t.dtype {
            case .f32:
                return (0..<n).map { Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            case .f64:
                return (0..<n).map {
                    Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))))
                }
            case .bf16:
                return (0..<n).map {
                    Float(bitPattern: UInt32(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) << 16)
                }
            case .f16:
                return (0..<n).map {
                    Float(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))))
                }
            default:
                return nil
            }
        }
        guard let values else { throw SafetensorsError.unsupportedConversion(name: name, dtype: t.dtype.rawValue) }
        return values
    }
}
