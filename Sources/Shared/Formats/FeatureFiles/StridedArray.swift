/// Element types the feature formats store.
public enum ElementType: String, Sendable, CaseIterable {
    case float16, bfloat16, float32, float64, int8, uint8, int16, int32, int64, bool

    public var size: Int {
        switch self {
        case .int8, .uint8, .bool: return 1
        case .float16, .bfloat16, .int16: return 2
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: return true
        default: return false
        }
    }
}

/// A strided view of typed elements inside a byte buffer: what each reader finds in its file
/// (a torch tensor with storage offset and strides, a C- or Fortran-order numpy array, an HDF5
/// dataset read into memory) before it becomes a Bag. Offsets and strides count elements.
///
/// The buffer is borrowed: use the array only while the owner of `storage` is alive.
struct StridedArray {
    var type: ElementType
    var bigEndian = false
    var shape: [Int]
    var strides: [Int]
    var offset = 0
    var storage: UnsafeRawBufferPointer

    /// Row-major (C order) strides of `shape`.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for i in shape.indices.reversed() {
            strides[i] = step
            step = step &* max(shape[i], 1)
        }
        return strides
    }

    /// Column-major (Fortran order) strides of `shape`.
    static func fortranStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for i in shape.indices {
            strides[i] = step
            step = step &* max(shape[i], 1)
        }
        return strides
    }

    /// The array as an N×C matrix: leading dimensions of size 1 are dropped (e.g. [1, N, D]), and
    /// every index the view can reach must lie inside the storage. Throws a message naming `what`.
    func matrix(_ what: String) throws -> (rows: Int, cols: Int, rowStride: Int, colStride: Int) {
        var shape = shape
        var strides = strides
        while shape.count > 2, shape[0] == 1 {
            shape.removeFirst()
            strides.removeFirst()
        }
        guard shape.count == 2 else {
            throw FeatureFileProblem("\(what) has shape \(self.shape), expected 2 dimensions")
        }
        guard shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }), offset >= 0 else {
            throw FeatureFileProblem("\(what) has a negative size, stride or offset")
        }
        let available = storage.count / type.size
        if shape[0] > 0, shape[1] > 0 {
            var last = offset
            for i in 0..<2 {
                let (step, o1) = (shape[i] - 1).multipliedReportingOverflow(by: strides[i])
                let (sum, o2) = last.addingReportingOverflow(step)
                guard !o1, !o2 else { throw FeatureFileProblem("\(what) has sizes that overflow") }
                last = sum
            }
            guard last < available else {
                throw FeatureFileProblem("\(what) of shape \(shape) reaches element \(last) but its storage holds \(available)")
            }
        }
        return (shape[0], shape[1], strides[0], strides[1])
    }

    /// The elements as f32, row-major [rows, cols].
    func floats(_ what: String) throws -> (rows: Int, cols: Int, values: [Float]) {
        let m = try matrix(what)
        guard type.isFloatingPoint else { throw FeatureFileProblem("\(what) has element type \(type.rawValue), expected floats") }
        let count = m.rows * m.cols
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            gather(m, into: out.baseAddress!) {
                Float($0)
            } float: {
                $0
            }
            initialized = count
        }
        return (m.rows, m.cols, values)
    }

    /// The elements in place, when they already are a row-major little-endian f32 matrix on a 4-byte
    /// boundary (CLAM's tensors): no copy. Nil otherwise; `floats` then converts.
    func contiguousFloats(_ what: String) throws -> (rows: Int, cols: Int, values: UnsafeBufferPointer<Float>)? {
        let m = try matrix(what)
        guard m.rows > 0, m.cols > 0, type == .float32, !bigEndian, m.colStride == 1 || m.cols == 1, m.rowStride == m.cols || m.rows == 1,
            let base = storage.baseAddress
        else { return nil }
        let start = base + offset * 4
        guard Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 else { return nil }
        return (m.rows, m.cols, UnsafeBufferPointer(start: start.assumingMemoryBound(to: Float.self), count: m.rows * m.cols))
    }

    /// Coordinates: integers become int32 (level-0 pixels), floats stay float32 (e.g. micrometres).
    func coordinates(_ what: String) throws -> (rows: Int, value: Coordinates) {
        let m = try matrix(what)
        guard m.cols == 2 else { throw FeatureFileProblem("\(what) has \(m.cols) columns, expected 2 (x, y)") }
        let count = m.rows * 2
        if type.isFloatingPoint {
            let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
                gather(m, into: out.baseAddress!) {
                    Float($0)
                } float: {
                    $0
                }
                initialized = count
            }
            return (m.rows, .float32(values))
        }
        var outOfRange = false
        let values = [Int32](unsafeUninitializedCapacity: count) { out, initialized in
            gather(m, into: out.baseAddress!) { v -> Int32 in
                if let i = Int32(exactly: v) { return i }
                outOfRange = true
                return 0
            } float: { _ in
                0
            }
            initialized = count
        }
        guard !outOfRange else { throw FeatureFileProblem("\(what) holds a value outside the int32 range") }
        return (m.rows, .int32(values))
    }

    /// Visits every element in row-major order, loading it by type; integers go through `integer`,
    /// floats through `float`. Bounds were checked by `matrix`.
    private func gather<T>(
        _ m: (rows: Int, cols: Int, rowStride: Int, colStride: Int), into out: UnsafeMutablePointer<T>,
        integer: (Int64) -> T, float: (Float) -> T
    ) {
        let base = storage.baseAddress!
        let size = type.size
        // The common case, contiguous little-endian f32, is one copy.
        if type == .float32, !bigEndian, T.self == Float.self, m.colStride == 1, m.rowStride == m.cols {
            UnsafeMutableRawPointer(out).copyMemory(from: base + offset * 4, byteCount: m.rows * m.cols * 4)
            return
        }
        var k = 0
        for r in 0..<m.rows {
            var index = offset + r * m.rowStride
            for _ in 0..<m.cols {
                let p = base + index * size
                switch type {
                case .float32: out[k] = float(Float(bitPattern: load(p, UInt32.self)))
                case .float16: out[k] = float(Float(Float16(bitPattern: load(p, UInt16.self))))
                case .bfloat16: out[k] = float(Float(bitPattern: UInt32(load(p, UInt16.self)) << 16))
                case .float64: out[k] = float(Float(Double(bitPattern: load(p, UInt64.self))))
                case .int64: out[k] = integer(Int64(bitPattern: load(p, UInt64.self)))
                case .int32: out[k] = integer(Int64(Int32(bitPattern: load(p, UInt32.self))))
                case .int16: out[k] = integer(Int64(Int16(bitPattern: load(p, UInt16.self))))
                case .int8: out[k] = integer(Int64(Int8(bitPattern: p.load(as: UInt8.self))))
                case .uint8, .bool: out[k] = integer(Int64(p.load(as: UInt8.self)))
                }
                k += 1
                index += m.colStride
            }
        }
    }

    @inline(__always)
    private func load<I: FixedWidthInteger>(_ p: UnsafeRawPointer, _: I.Type) -> I {
        let raw = p.loadUnaligned(as: I.self)
        return bigEndian ? I(bigEndian: raw) : I(littleEndian: raw)
    }
}

/// What is wrong inside a feature file; the reader adds the file name (and slide) when it rethrows.
struct FeatureFileProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
