/// Everything that can be wrong with a safetensors file, one case per guard of the reader.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    case tooShort(size: Int)
    case headerTooLarge(length: UInt64, limit: Int)
    case headerBeyondFile(length: UInt64, fileSize: Int)
    case headerNotUTF8
    case headerNotJSON(String)
    case headerNotObject
    case metadataNotStringMap
    case invalidTensorEntry(name: String, reason: String)
    case unknownDType(name: String, dtype: String)
    case invalidShape(name: String)
    case invalidOffsets(name: String, begin: Int, end: Int)
    case sizeMismatch(name: String, expectedBytes: Int, actualBytes: Int)
    case offsetsNotContiguous(name: String, begin: Int, expected: Int)
    case dataNotFilled(tensorBytes: Int, dataBytes: Int)
    case missingTensor(String)
    case unsupportedConversion(name: String, dtype: String)

    public var description: String {
        switch self {
        case .tooShort(let size):
            return "file of \(size) bytes is too short for a safetensors header (8-byte length first)"
        case .headerTooLarge(let length, let limit):
            return "header length \(length) exceeds the limit of \(limit) bytes"
        case .headerBeyondFile(let length, let fileSize):
            return "header length \(length) runs past the end of the \(fileSize)-byte file"
        case .headerNotUTF8:
            return "header is not UTF-8 text"
        case .headerNotJSON(let detail):
            return "header is not valid JSON (\(detail))"
        case .headerNotObject:
            return "header is not a JSON object"
        case .metadataNotStringMap:
            return "__metadata__ must map strings to strings"
        case .invalidTensorEntry(let name, let reason):
            return "tensor '\(name)': \(reason)"
        case .unknownDType(let name, let dtype):
            return "tensor '\(name)' has unknown dtype '\(dtype)'"
        case .invalidShape(let name):
            return "tensor '\(name)' has an invalid shape (negative or overflowing dimensions)"
        case .invalidOffsets(let name, let begin, let end):
            return "tensor '\(name)' has data_offsets [\(begin), \(end)] with begin after end"
        case .sizeMismatch(let name, let expected, let actual):
            return "tensor '\(name)' spans \(actual) bytes but its dtype and shape need \(expected)"
        case .offsetsNotContiguous(let name, let begin, let expected):
            return "tensor '\(name)' starts at byte \(begin) of the data, expected \(expected) (tensors must not overlap or leave gaps)"
        case .dataNotFilled(let tensorBytes, let dataBytes):
            return "tensors cover \(tensorBytes) bytes but the data section has \(dataBytes)"
        case .missingTensor(let name):
            return "no tensor named '\(name)'"
        case .unsupportedConversion(let name, let dtype):
            return "tensor '\(name)' has dtype \(dtype), which does not convert to f32"
        }
    }
}
