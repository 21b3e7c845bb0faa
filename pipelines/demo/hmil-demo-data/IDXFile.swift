import Foundation
import Shared

/// A raw (uncompressed) IDX file, the format of MNIST and Fashion-MNIST
/// (http://yann.lecun.com/exdb/mnist/): a big-endian header `0x00 0x00 <type> <rank>`, one UInt32 per
/// dimension, then the values row-major. The demo needs only unsigned bytes (type 0x08): labels (rank 1)
/// and images (rank 3: count × rows × columns).
///
/// The reader is a straight line of guards, each naming the file: gzip input, short header, wrong type,
/// wrong rank, zero or oversized dimensions, and data that does not exactly fill the file.
struct IDXFile {
    /// Dimensions as declared, e.g. [60000, 28, 28].
    let dimensions: [Int]
    /// The values, row-major, exactly `dimensions.reduce(1, *)` bytes.
    let bytes: [UInt8]

    /// Largest file read; Fashion-MNIST's biggest is 47 MB.
    static let maximumBytes = 512 << 20
    static let unsignedByteType: UInt8 = 0x08

    init(path: String, rank: Int) throws {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = (attributes[.size] as? NSNumber)?.intValue
        else {
            throw ToolError(
                "cannot open IDX file", at: path,
                hint: "decompress Fashion-MNIST there: gzip -dc /usr/share/datasets/fashion-mnist/<name>.gz > <name>")
        }
        guard size <= IDXFile.maximumBytes else {
            throw ToolError("IDX file of \(size) bytes is larger than the \(IDXFile.maximumBytes >> 20) MiB accepted", at: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ToolError("cannot read IDX file", at: path, hint: "check permissions")
        }
        try self.init(data: [UInt8](data), rank: rank, source: path)
    }

    init(data: [UInt8], rank: Int, source: String) throws {
        if data.count >= 2, data[0] == 0x1F, data[1] == 0x8B {
            throw ToolError(
                "file is gzip-compressed, not raw IDX", at: source,
                hint: "decompress it first: gzip -dc \(source) > <raw file> (pipelines/Makefile does this)")
        }
        let headerSize = 4 + 4 * rank
        guard data.count >= headerSize else {
            throw ToolError("file of \(data.count) bytes is shorter than an IDX header of rank \(rank) (\(headerSize) bytes)", at: source)
        }
        guard data[0] == 0, data[1] == 0 else {
            throw ToolError(String(format: "not an IDX file: magic starts 0x%02X%02X, expected 0x0000", data[0], data[1]), at: source)
        }
        guard data[2] == IDXFile.unsignedByteType else {
            throw ToolError(String(format: "IDX value type 0x%02X, expected 0x08 (unsigned byte)", data[2]), at: source)
        }
        guard Int(data[3]) == rank else {
            throw ToolError(
                "IDX rank \(data[3]), expected \(rank)", at: source,
                hint: rank == 1 ? "expected a labels file (*-labels-idx1-ubyte)" : "expected an images file (*-images-idx3-ubyte)")
        }
        var dimensions: [Int] = []
        var count = 1
        for axis in 0..<rank {
            let offset = 4 + 4 * axis
            let value = Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8 | Int(data[offset + 3])
            guard value > 0 else {
                throw ToolError("IDX dimension \(axis) is 0", at: source)
            }
            // Each factor is below 2^32 and the running product is capped by the file size, so no overflow.
            count *= value
            guard count <= data.count else {
                throw ToolError(
                    "IDX dimensions \(dimensions + [value]) need more bytes than the file's \(data.count)", at: source,
                    hint: "the file is truncated")
            }
            dimensions.append(value)
        }
        guard data.count - headerSize == count else {
            throw ToolError(
                "IDX dimensions \(dimensions) need \(count) data bytes but the file holds \(data.count - headerSize)", at: source,
                hint: data.count - headerSize < count ? "the file is truncated" : "the file has trailing bytes")
        }
        self.dimensions = dimensions
        bytes = Array(data[headerSize...])
    }
}
