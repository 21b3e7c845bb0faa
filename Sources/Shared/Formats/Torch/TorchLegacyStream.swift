/// torch's legacy (pre-1.6, `_use_new_zipfile_serialization=False`) stream: five pickles — magic
/// number, protocol version, sys info, the object, the list of storage keys — then per storage, in
/// key order, a little-endian int64 element count and the raw elements.
struct TorchLegacyStream {
    /// `pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)`; wider than 64 bits, so it is compared as bytes.
    static let magic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]

    let root: PickleValue
    /// Storage bytes by key, as slices of the file.
    private var storages: [String: UnsafeRawBufferPointer] = [:]
    /// Element size of each storage, from the tensors that refer to it.
    private(set) var elementSizes: [String: Int] = [:]

    static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= magic.count && zip(bytes, magic).allSatisfy { $0 == $1 }
    }

    init(_ bytes: UnsafeRawBufferPointer) throws {
        var at = Self.magic.count
        let machine = PickleMachine()
        func next() throws -> PickleValue {
            let (value, length) = try machine.parsePrefix(UnsafeRawBufferPointer(rebasing: bytes[at...]))
            at += length
            return value
        }
        guard try next() == .int(1001) else { throw FeatureFileProblem("legacy torch file has an unknown protocol version") }
        let info = try next()
        if let little = info["little_endian"], little != .bool(true) {
            throw FeatureFileProblem("legacy torch file is big-endian; only little-endian is supported")
        }
        root = try next()
        guard let keys = try next().items?.map({ $0.stringValue }), keys.allSatisfy({ $0 != nil }) else {
            throw FeatureFileProblem("legacy torch file has no storage key list")
        }
        for tensor in try TorchTensor.all(in: root) {
            let key = tensor.storageKey
            if let size = elementSizes[key], size != tensor.type.size {
                throw FeatureFileProblem("legacy storage '\(key)' is used with two element sizes")
            }
            elementSizes[key] = tensor.type.size
        }
        for key in keys.map({ $0! }) {
            guard let size = elementSizes[key] else { throw FeatureFileProblem("legacy storage '\(key)' is not used by any tensor") }
            guard at <= bytes.count - 8 else { throw FeatureFileProblem("legacy torch file ends before storage '\(key)'") }
            let count = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int64.self))
            at += 8
            let (length, overflow) = Int(clamping: count).multipliedReportingOverflow(by: size)
            guard count >= 0, !overflow, length <= bytes.count - at else {
                throw FeatureFileProblem("legacy storage '\(key)' declares \(count) elements, more than the file holds")
            }
            guard storages[key] == nil else { throw FeatureFileProblem("legacy storage '\(key)' appears twice") }
            storages[key] = UnsafeRawBufferPointer(rebasing: bytes[at..<at + length])
            at += length
        }
    }

    func storage(_ key: String) throws -> UnsafeRawBufferPointer {
        guard let bytes = storages[key] else { throw FeatureFileProblem("legacy torch file has no storage '\(key)'") }
        return bytes
    }
}
