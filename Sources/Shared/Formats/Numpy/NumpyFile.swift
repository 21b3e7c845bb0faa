import Foundation

/// numpy's `.npy` format (versions 1–3): magic `\x93NUMPY`, version, header length, a Python dict
/// literal `{'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }` padded to 64 bytes, then the
/// raw elements. Reads float32/float16/float64 matrices in C or Fortran order; writes float32.
public enum NumpyFile {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
    static let maximumHeaderBytes = 1 << 16

    /// Reads the bag of `slideID` (an N×D array, or 1×N×D) from `path`.
    public static func read(_ path: String, slideID: String) throws -> Bag {
        try FeatureFiles.reporting(path: path, slideID: slideID) {
            let file = try MappedFile(path: path)
            let array = try parse(file.bytes)
            return try FeatureFiles.makeBag(slideID: slideID, features: try array.floats("npy array"), coordinates: nil)
        }
    }

    static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= magic.count && zip(bytes, magic).allSatisfy { $0 == $1 }
    }

    /// The array in `bytes`, with its data size checked against the header.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> StridedArray {
        guard hasMagic(bytes) else { throw FeatureFileProblem("not a .npy file (no \\x93NUMPY magic)") }
        guard bytes.count >= 10 else { throw FeatureFileProblem(".npy header is truncated") }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw FeatureFileProblem(".npy header is truncated") }
            headerLength = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
            headerStart = 12
        default:
            throw FeatureFileProblem(".npy format version \(major) is not supported")
        }
        guard headerLength <= maximumHeaderBytes else { throw FeatureFileProblem(".npy header declares \(headerLength) bytes") }
        guard headerLength <= bytes.count - headerStart else { throw FeatureFileProblem(".npy header is truncated") }
        guard
            let header = String(
                validating: UnsafeRawBufferPointer(rebasing: bytes[headerStart..<headerStart + headerLength]), as: UTF8.self)
        else {
            throw FeatureFileProblem(".npy header is not text")
        }
        let fields = try HeaderLiteral(header)
        let (type, bigEndian) = try NumpyDType.parse(fields.descr)
        let data = UnsafeRawBufferPointer(rebasing: bytes[(headerStart + headerLength)...])
        var count = 1
        for n in fields.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw FeatureFileProblem(".npy shape \(fields.shape) overflows") }
            count = product
        }
        let (length, overflow) = count.multipliedReportingOverflow(by: type.size)
        guard !overflow, length <= data.count else {
            throw FeatureFileProblem(".npy of shape \(fields.shape) needs \(count) × \(type.size) bytes, the file holds \(data.count)")
        }
        return StridedArray(
            type: type, bigEndian: bigEndian, shape: fields.shape,
            strides: fields.fortranOrder ? StridedArray.fortranStrides(fields.shape) : StridedArray.contiguousStrides(fields.shape),
            offset: 0, storage: UnsafeRawBufferPointer(rebasing: data[0..<length]))
    }

    /// A version 1.0 `.npy` of little-endian float32 values in C order, as `np.save` writes it.
    public static func encode(_ values: [Float], shape: [Int]) -> [UInt8] {
        precondition(shape.reduce(1, *) == values.count, "values must fill the shape")
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = magic.count + 4 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = magic + [1, 0]
        out += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        out += Array(header.utf8)
        out.reserveCapacity(out.count + values.count * 4)
        #if _endian(little)
            values.withUnsafeBytes { out.append(contentsOf: $0) }
        #else
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        #endif
        return out
    }

    /// A bag's features as an N×D float32 `.npy`.
    public static func encode(_ bag: Bag) -> [UInt8] {
        encode(bag.features, shape: [bag.instanceCount, bag.featureDim])
    }
}

/// The three fields of an `.npy` header dict. The literal is parsed, never evaluated.
private struct HeaderLiteral {
    var descr = ""
    var fortranOrder = false
    var shape: [Int] = []

    init(_ text: String) throws {
        func value(after key: String) throws -> Substring {
            guard let range = text.range(of: "'\(key)':") else { throw FeatureFileProblem(".npy header has no '\(key)'") }
            return text[range.upperBound...].drop { $0 == " " }
        }
        let descrText = try value(after: "descr")
        guard descrText.first == "'", let close = descrText.dropFirst().firstIndex(of: "'") else {
            throw FeatureFileProblem(".npy header 'descr' is not a simple dtype string (structured arrays are not supported)")
        }
        descr = String(descrText[descrText.index(after: descrText.startIndex)..<close])
        let orderText = try value(after: "fortran_order")
        if orderText.hasPrefix("True") {
            fortranOrder = true
        } else if orderText.hasPrefix("False") {
            fortranOrder = false
        } else {
            throw FeatureFileProblem(".npy header 'fortran_order' is not True or False")
        }
        let shapeText = try value(after: "shape")
        guard shapeText.first == "(", let close = shapeText.firstIndex(of: ")") else {
            throw FeatureFileProblem(".npy header 'shape' is not a tuple")
        }
        let inside = shapeText[shapeText.index(after: shapeText.startIndex)..<close]
        shape = try inside.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map {
            guard let n = Int($0), n >= 0 else { throw FeatureFileProblem(".npy header shape entry '\($0.prefix(20))' is not a size") }
            return n
        }
    }
}
