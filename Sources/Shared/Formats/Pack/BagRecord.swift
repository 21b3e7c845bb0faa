/// A bag as one record of a pack (layout in `PackFormat`). Records are built in and read from scratch
/// buffers at an offset that puts the feature block on a 16-byte boundary, whatever the slide id's length.
enum BagRecord {
    /// Bytes of a record, or nil when the numbers overflow.
    static func size(
        slideIDBytes: Int, instanceCount: Int, featureDim: Int, dtype: StorageDType,
        coordinates: CoordinatesKind
    ) -> Int? {
        let (elements, o1) = instanceCount.multipliedReportingOverflow(by: featureDim)
        let (featureBytes, o2) = elements.multipliedReportingOverflow(by: dtype.byteWidth)
        let (coordinateBytes, o3) = instanceCount.multipliedReportingOverflow(by: coordinates == .none ? 0 : 8)
        let (body, o4) = featureBytes.addingReportingOverflow(coordinateBytes)
        let (total, o5) = body.addingReportingOverflow(PackFormat.recordPrefixSize(slideIDBytes: slideIDBytes))
        return o1 || o2 || o3 || o4 || o5 ? nil : total
    }

    /// Where a record starts in its buffer so its features are 16-byte aligned.
    static func alignedStart(slideIDBytes: Int) -> Int {
        (16 - PackFormat.recordPrefixSize(slideIDBytes: slideIDBytes) % 16) % 16
    }

    /// Writes `bag`'s record into `buffer` (already checked against the header); returns the record's bytes.
    static func write(
        _ bag: BagView, slideID: [UInt8], size: Int, header: PackHeader,
        into buffer: ScratchBuffer
    ) -> UnsafeRawBufferPointer {
        let start = alignedStart(slideIDBytes: slideID.count)
        buffer.reserve(start + size)
        let record = buffer.pointer + start
        record.storeLittleEndian(UInt32(slideID.count), at: 0)
        slideID.withUnsafeBytes { (record + 4).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        record.storeLittleEndian(UInt64(bag.instanceCount), at: 4 + slideID.count)
        let features = record + PackFormat.recordPrefixSize(slideIDBytes: slideID.count)
        let elements = bag.instanceCount * bag.featureDim
        // An empty bag's arrays may have no storage at all.
        guard elements > 0 else { return UnsafeRawBufferPointer(start: record, count: size) }
        FeatureCodec.encode(
            bag.features.baseAddress!, count: elements, dtype: header.dtype, shuffle: header.byteShuffle,
            into: features)
        let coordinates = features + elements * header.dtype.byteWidth
        switch bag.coordinates {
        case .int32(let values)?:
            values.withUnsafeBytes { coordinates.copyMemory(from: $0.baseAddress!, byteCount: bag.instanceCount * 8) }
        case .float32(let values)?:
            values.withUnsafeBytes { coordinates.copyMemory(from: $0.baseAddress!, byteCount: bag.instanceCount * 8) }
        case nil:
            break
        }
        return UnsafeRawBufferPointer(start: record, count: size)
    }

    /// Reads the record of `entry` from `record` (its size already checked to be `entry.recordSize`).
    static func read(
        _ record: UnsafeRawPointer, entry: PackIndexEntry, slideID: [UInt8], header: PackHeader,
        file: String
    ) throws -> Bag {
        let idLength = Int(record.littleEndianU32(at: 0))
        guard idLength == slideID.count,
            slideID.withUnsafeBytes({ memcmp($0.baseAddress!, record + 4, idLength) == 0 })
        else {
            throw PackError.corruptBag(file: file, slideID: entry.slideID, detail: "the record names another slide")
        }
        let instanceCount = record.littleEndianU64(at: 4 + idLength)
        guard instanceCount == UInt64(entry.instanceCount) else {
            throw PackError.corruptBag(
                file: file, slideID: entry.slideID,
                detail: "record has \(instanceCount) instances, the index \(entry.instanceCount)")
        }
        let n = entry.instanceCount
        let elements = n * header.featureDim
        let features = record + PackFormat.recordPrefixSize(slideIDBytes: idLength)
        let values = [Float](unsafeUninitializedCapacity: elements) { buffer, initialized in
            if elements > 0 {
                FeatureCodec.decode(
                    features, count: elements, dtype: header.dtype, shuffle: header.byteShuffle,
                    into: buffer.baseAddress!)
            }
            initialized = elements
        }
        let coordinateBytes = features + elements * header.dtype.byteWidth
        let coordinates: Coordinates?
        switch header.coordinates {
        case .none:
            coordinates = nil
        case .int32:
            coordinates = .int32(
                [Int32](unsafeUninitializedCapacity: 2 * n) { buffer, initialized in
                    if n > 0 { UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: coordinateBytes, byteCount: 8 * n) }
                    initialized = 2 * n
                })
        case .float32:
            coordinates = .float32(
                [Float](unsafeUninitializedCapacity: 2 * n) { buffer, initialized in
                    if n > 0 { UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: coordinateBytes, byteCount: 8 * n) }
                    initialized = 2 * n
                })
        }
        return Bag(
            slideID: entry.slideID, instanceCount: n, featureDim: header.featureDim, features: values,
            coordinates: coordinates)
    }
}

#if canImport(Glibc)
    import Glibc
#endif

#if _endian(big)
    #error("the pack format is little-endian and is read by memory copies: big-endian hosts are not supported")
#endif
