/// A numpy array as `pickle` writes it (`ndarray.__reduce__`): a call of `_reconstruct(ndarray,
/// (0,), b'b')` whose state is `(version, shape, dtype, is_fortran, raw_data)`. This is what
/// `torch.save(numpy_array)` stores (TRIDENT's `saveas='pt'`). With pickle protocol 2 the raw data
/// arrives as `_codecs.encode(latin1_text, 'latin1')`.
struct PickledNumpyArray {
    var type: ElementType
    var bigEndian: Bool
    var shape: [Int]
    var fortranOrder: Bool
    var data: [UInt8]

    /// Nil when the value is not a pickled ndarray at all; throws when it is one but malformed.
    init?(_ value: PickleValue) throws {
        guard case .build(let object, let state) = value,
            case .reduce(let callable, _) = object,
            let name = callable.globalName,
            name == "numpy.core.multiarray._reconstruct" || name == "numpy._core.multiarray._reconstruct"
        else { return nil }
        guard var fields = state.items, fields.count == 5 || fields.count == 4 else {
            throw FeatureFileProblem("pickled numpy array has an unexpected state (\(state.kindDescription))")
        }
        if fields.count == 5 { fields.removeFirst() }  // version
        guard let dims = fields[0].items else { throw FeatureFileProblem("pickled numpy array has no shape") }
        shape = try dims.map { dim in
            guard let n = dim.intValue, n >= 0 else { throw FeatureFileProblem("pickled numpy array has a bad dimension") }
            return n
        }
        (type, bigEndian) = try Self.dtype(fields[1])
        guard case .bool(let fortran) = fields[2] else { throw FeatureFileProblem("pickled numpy array has a bad order flag") }
        fortranOrder = fortran
        data = try Self.rawData(fields[3])
        var count = 1
        for n in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw FeatureFileProblem("pickled numpy array shape \(shape) overflows") }
            count = product
        }
        guard count.multipliedReportingOverflow(by: type.size) == (data.count, false) else {
            throw FeatureFileProblem("pickled numpy array of shape \(shape) holds \(data.count) bytes, expected \(count) × \(type.size)")
        }
    }

    /// `numpy.dtype('f4', False, True)` with state `(3, '<', …)`.
    private static func dtype(_ value: PickleValue) throws -> (ElementType, Bool) {
        guard case .build(let object, let state) = value,
            case .reduce(let callable, let arguments) = object, callable.globalName == "numpy.dtype",
            let code = arguments.items?.first?.stringValue
        else { throw FeatureFileProblem("pickled numpy array has an unexpected dtype (\(value.kindDescription))") }
        let order = state.items.flatMap { $0.count > 1 ? $0[1].stringValue : nil } ?? "<"
        return try NumpyDType.parse(order + code)
    }

    private static func rawData(_ value: PickleValue) throws -> [UInt8] {
        switch value {
        case .bytes(let bytes):
            return bytes
        case .reduce(let callable, let arguments) where callable.globalName == "_codecs.encode":
            guard let args = arguments.items, args.count == 2, case .string(let text) = args[0],
                args[1] == .string("latin1") || args[1] == .string("latin-1")
            else { throw FeatureFileProblem("pickled numpy data is not latin1-encoded text") }
            return try latin1(text)
        default:
            throw FeatureFileProblem("pickled numpy data is \(value.kindDescription), expected bytes")
        }
    }

    /// Latin-1 text back to bytes, reading the UTF-8 view directly (U+0080…U+00FF are two bytes).
    private static func latin1(_ text: String) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte < 0x80 {
                out.append(byte)
            } else if byte == 0xC2 || byte == 0xC3, let next = iterator.next() {
                out.append((byte & 0x03) << 6 | (next & 0x3F))
            } else {
                throw FeatureFileProblem("pickled numpy data has a character outside latin1")
            }
        }
        return out
    }

    /// The array as a strided view of `data`; call inside `data.withUnsafeBytes`.
    func strided(_ storage: UnsafeRawBufferPointer) -> StridedArray {
        StridedArray(
            type: type, bigEndian: bigEndian, shape: shape,
            strides: fortranOrder ? StridedArray.fortranStrides(shape) : StridedArray.contiguousStrides(shape),
            offset: 0, storage: storage)
    }
}
