import Foundation

/// Encodes f32 tensors as a safetensors file: tensors in the order given, the header's JSON with
/// sorted keys and padded with spaces so the data starts 8-byte aligned (as the reference writer
/// does). Same tensors and metadata → same bytes.
public enum SafetensorsWriter {
    public struct Tensor {
        public var name: String
        public var shape: [Int]
        public var values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "\(name): \(values.count) values for shape \(shape)")
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    public static func encode(_ tensors: [Tensor], metadata: [String: String] = [:]) -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        for t in tensors {
            precondition(header[t.name] == nil && t.name != "__metadata__", "duplicate tensor name \(t.name)")
            let size = t.values.count * 4
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        // The bytes are laid out in one pass into a buffer of the final size: appending to Data value by
        // value cost more than the training step of a small model (issue 12).
        var out = Data(count: 8 + json.count + offset)
        out.withUnsafeMutableBytes { (bytes: UnsafeMutableRawBufferPointer) in
            bytes.storeBytes(of: UInt64(json.count).littleEndian, toByteOffset: 0, as: UInt64.self)
            json.withUnsafeBytes { bytes.baseAddress!.advanced(by: 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            var position = 8 + json.count
            for t in tensors {
                t.values.withUnsafeBufferPointer { values in
                    let destination = bytes.baseAddress!.advanced(by: position)
                    #if _endian(little)
                        destination.copyMemory(from: values.baseAddress!, byteCount: values.count * 4)
                    #else
                        for (i, v) in values.enumerated() {
                            destination.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                        }
                    #endif
                }
                position += t.values.count * 4
            }
        }
        return out
    }

    /// Writes the file atomically.
    public static func write(_ tensors: [Tensor], metadata: [String: String] = [:], to path: String) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata), to: path)
    }
}
