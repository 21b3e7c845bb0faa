/// numpy dtype strings ('<f4', 'f2', '|u1', …) as element types and byte order.
enum NumpyDType {
    /// Parses a dtype string with or without its byte-order character.
    static func parse(_ text: String) throws -> (type: ElementType, bigEndian: Bool) {
        var code = Substring(text)
        var bigEndian = false
        if let first = code.first, "<>|=".contains(first) {
            bigEndian = first == ">"
            code = code.dropFirst()
        }
        let types: [Substring: ElementType] = [
            "f2": .float16, "f4": .float32, "f8": .float64,
            "i1": .int8, "u1": .uint8, "i2": .int16, "i4": .int32, "i8": .int64, "b1": .bool
        ]
        guard let type = types[code] else { throw FeatureFileProblem("numpy dtype '\(text.prefix(20))' is not supported") }
        return (type, bigEndian && type.size > 1)
    }

    /// The descriptor numpy writes for a little-endian element type.
    static func descriptor(_ type: ElementType) -> String {
        switch type {
        case .float16: return "<f2"
        case .float32: return "<f4"
        case .float64: return "<f8"
        case .int8: return "|i1"
        case .uint8: return "|u1"
        case .int16: return "<i2"
        case .int32: return "<i4"
        case .int64: return "<i8"
        case .bool: return "|b1"
        case .bfloat16: return "<V2"
        }
    }
}
