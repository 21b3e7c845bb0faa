import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a `.hbag` pack (layout in `PackFormat`): opening validates the header, footer and index, checking
/// every declared size against the file size before allocating; any bag is then one `pread` of its frame.
///
/// Thread-safe: several threads may read bags of one reader at once (each read takes its own zstd
/// context and buffers from a pool).
public final class PackReader: @unchecked Sendable {
    public let path: String
    public let header: PackHeader
    /// Index entries in pack order.
    public let entries: [PackIndexEntry]
    /// Slide ids in pack order.
    public let slideIDs: [String]
    public let fileSize: UInt64

    public var featureDim: Int { header.featureDim }
    public var dtype: StorageDType { header.dtype }
    public var coordinatesKind: CoordinatesKind { header.coordinates }
    public var count: Int { entries.count }

    private let file: PackFile
    private let positions: [String: Int]
    private let slideIDBytes: [[UInt8]]
    private let decoders = ReusePool { BagDecoder() }

    public init(path: String) throws {
        self.path = path
        file = try PackFile(path: path)
        fileSize = file.size
        let (header, dataStart) = try Self.readHeader(file)
        self.header = header
        entries = try PackIndexReader(file: file, header: header, dataStart: dataStart).read()
        slideIDs = entries.map(\.slideID)
        slideIDBytes = entries.map { Array($0.slideID.utf8) }
        var positions: [String: Int] = [:]
        positions.reserveCapacity(entries.count)
        for (i, entry) in entries.enumerated() {
            guard positions.updateValue(i, forKey: entry.slideID) == nil else {
                throw PackError.corruptIndex(file: path, detail: "slide \(entry.slideID) appears twice")
            }
        }
        self.positions = positions
    }

    public func contains(_ slideID: String) -> Bool { positions[slideID] != nil }

    /// Position of `slideID` in pack order.
    public func position(of slideID: String) -> Int? { positions[slideID] }

    public func entry(for slideID: String) -> PackIndexEntry? { positions[slideID].map { entries[$0] } }

    public func instanceCount(of slideID: String) -> Int? { entry(for: slideID)?.instanceCount }

    /// The bag of `slideID`, features converted to f32.
    public func readBag(_ slideID: String) throws -> Bag {
        guard let position = positions[slideID] else { throw PackError.unknownSlide(file: path, slideID: slideID) }
        return try readBag(at: position)
    }

    /// The bag at `position` in pack order (0 ..< count), features converted to f32.
    public func readBag(at position: Int) throws -> Bag {
        precondition(entries.indices.contains(position), "bag position out of range")
        let entry = entries[position]
        let slideID = slideIDBytes[position]
        return try decoders.withItem { decoder in
            let record = try decoder.decompress(entry, from: file)
            return try BagRecord.read(record, entry: entry, slideID: slideID, header: header, file: path)
        }
    }

    /// Bags in `order` (slide ids; default: pack order), read and converted on `threads` background threads
    /// that stay at most `readAhead` bags ahead (plus one being read).
    public func bags(
        in order: [String]? = nil, readAhead: Int = 2,
        threads: Int = min(2, ProcessInfo.processInfo.activeProcessorCount)
    ) throws -> BagStream {
        let positions = try (order ?? slideIDs).map { id -> Int in
            guard let position = self.positions[id] else { throw PackError.unknownSlide(file: path, slideID: id) }
            return position
        }
        return BagStream(reader: self, positions: positions, readAhead: readAhead, threads: threads)
    }

    /// The header, and the offset where the bag frames start.
    private static func readHeader(_ file: PackFile) throws -> (PackHeader, UInt64) {
        let path = file.path
        let start = try file.read(at: 0, count: Int(min(file.size, 8)))
        var cursor = ByteCursor(start)
        guard let frameMagic = cursor.u32(), frameMagic == PackFormat.headerFrameMagic else {
            // A short file that starts like a pack is a cut pack; anything else is not a pack.
            let expected = withUnsafeBytes(of: PackFormat.headerFrameMagic.littleEndian) { Array($0) }
            if start.count < 4, start.elementsEqual(expected.prefix(start.count)) {
                throw PackError.truncated(file: path, detail: "the file has \(file.size) bytes")
            }
            throw PackError.badMagic(file: path)
        }
        guard let frameSize = cursor.u32() else {
            throw PackError.truncated(file: path, detail: "the file has \(file.size) bytes")
        }
        guard frameSize >= PackFormat.headerFixedSize + 2, frameSize <= PackFormat.headerFixedSize + PackFormat.maxHeaderJSON else {
            throw PackError.corruptHeader(file: path, detail: "header frame size \(frameSize) is out of range")
        }
        guard 8 + UInt64(frameSize) <= file.size else {
            throw PackError.truncated(file: path, detail: "the header needs \(8 + frameSize) bytes, the file has \(file.size)")
        }
        var payload = ByteCursor(try file.read(at: 8, count: Int(frameSize)))
        guard let magicBytes = payload.take(8), magicBytes.elementsEqual(PackFormat.headerMagic) else {
            throw PackError.badMagic(file: path)
        }
        let version = payload.u32()!
        guard version == PackFormat.version else { throw PackError.unknownVersion(file: path, version: version) }
        let jsonLength = payload.u32()!
        let crc = payload.u32()!
        guard Int(jsonLength) == Int(frameSize) - PackFormat.headerFixedSize, let json = payload.take(Int(jsonLength)) else {
            throw PackError.corruptHeader(file: path, detail: "JSON length \(jsonLength) does not fit the header frame")
        }
        guard CRC32.checksum(json) == crc else {
            throw PackError.corruptHeader(file: path, detail: "JSON checksum mismatch")
        }
        let header: PackHeader
        do {
            header = try JSONDecoder().decode(PackHeader.self, from: Data(json))
        } catch {
            throw PackError.corruptHeader(file: path, detail: "JSON: \(ToolError.describe(error))")
        }
        guard (1...PackFormat.maxFeatureDim).contains(header.featureDim) else {
            throw PackError.absurdSize(file: path, slideID: nil, detail: "feature dim \(header.featureDim)")
        }
        return (header, 8 + UInt64(frameSize))
    }
}

/// Reads and checks the index frame and footer (layout in `PackFormat`).
private struct PackIndexReader {
    let file: PackFile
    let header: PackHeader
    let dataStart: UInt64
    var path: String { file.path }

    func read() throws -> [PackIndexEntry] {
        let minimalIndex = UInt64(8 + PackFormat.indexFixedSize + PackFormat.footerSize)
        guard file.size >= dataStart + minimalIndex else { throw PackError.missingIndex(file: path) }
        var footer = ByteCursor(try file.read(at: file.size - UInt64(PackFormat.footerSize), count: PackFormat.footerSize))
        let indexOffset = footer.u64()!
        let entriesLength = footer.u64()!
        let crc = footer.u32()!
        let version = footer.u32()!
        guard footer.take(8)!.elementsEqual(PackFormat.footerMagic) else { throw PackError.missingIndex(file: path) }
        guard version == PackFormat.version else { throw PackError.unknownVersion(file: path, version: version) }
        guard indexOffset >= dataStart, indexOffset <= file.size, entriesLength <= file.size,
            file.size - indexOffset == minimalIndex + entriesLength
        else {
            throw PackError.corruptIndex(
                file: path,
                detail:
                    "footer points at offset \(indexOffset) with \(entriesLength) bytes of entries, which does not end the \(file.size)-byte file"
            )
        }
        let frame = try file.read(at: indexOffset, count: Int(file.size - indexOffset) - PackFormat.footerSize)
        var cursor = ByteCursor(frame)
        guard cursor.u32() == PackFormat.indexFrameMagic, cursor.u32() == UInt32(file.size - indexOffset - 8) else {
            throw PackError.corruptIndex(file: path, detail: "no index frame at offset \(indexOffset)")
        }
        guard CRC32.checksum(frame[8...]) == crc else {
            throw PackError.corruptIndex(file: path, detail: "index checksum mismatch")
        }
        guard cursor.take(8)!.elementsEqual(PackFormat.indexMagic) else {
            throw PackError.corruptIndex(file: path, detail: "bad index magic")
        }
        let bagCount = cursor.u64()!
        guard bagCount <= entriesLength / UInt64(PackFormat.indexEntryFixedSize + 1) else {
            throw PackError.absurdSize(file: path, slideID: nil, detail: "\(bagCount) bags in \(entriesLength) bytes of index")
        }
        var entries: [PackIndexEntry] = []
        entries.reserveCapacity(Int(bagCount))
        var expectedOffset = dataStart
        for _ in 0..<bagCount {
            entries.append(try readEntry(&cursor, expectedOffset: expectedOffset, indexOffset: indexOffset))
            expectedOffset = entries.last!.offset + entries.last!.compressedSize
        }
        guard cursor.remaining == 0, expectedOffset == indexOffset else {
            throw PackError.corruptIndex(file: path, detail: "entries do not cover the file up to the index")
        }
        return entries
    }

    private func readEntry(_ cursor: inout ByteCursor, expectedOffset: UInt64, indexOffset: UInt64) throws -> PackIndexEntry {
        guard let idLength = cursor.u32(), (1...UInt32(PackFormat.maxSlideIDBytes)).contains(idLength),
            let idBytes = cursor.take(Int(idLength)), let slideID = String(validating: idBytes, as: UTF8.self)
        else {
            throw PackError.corruptIndex(file: path, detail: "bad slide id in entry at index byte \(cursor.position)")
        }
        guard let offset = cursor.u64(), let compressedSize = cursor.u64(), let recordSize = cursor.u64(),
            let instanceCount = cursor.u64()
        else {
            throw PackError.corruptIndex(file: path, detail: "entry for slide \(slideID) is cut short")
        }
        guard offset == expectedOffset else {
            throw PackError.corruptIndex(file: path, detail: "slide \(slideID) at offset \(offset), expected \(expectedOffset)")
        }
        guard compressedSize > 0, compressedSize <= indexOffset - offset else {
            throw PackError.absurdSize(
                file: path, slideID: slideID, detail: "frame of \(compressedSize) bytes at offset \(offset) runs past the bags")
        }
        guard recordSize <= compressedSize * PackFormat.maxExpansion, instanceCount <= recordSize,
            BagRecord.size(
                slideIDBytes: Int(idLength), instanceCount: Int(instanceCount), featureDim: header.featureDim,
                dtype: header.dtype, coordinates: header.coordinates
            ).map(UInt64.init) == recordSize
        else {
            throw PackError.absurdSize(
                file: path, slideID: slideID,
                detail: "record of \(recordSize) bytes for \(instanceCount) instances in a \(compressedSize)-byte frame")
        }
        return PackIndexEntry(
            slideID: slideID, offset: offset, compressedSize: compressedSize, recordSize: recordSize,
            instanceCount: Int(instanceCount))
    }
}

/// One thread's zstd context and buffers for reading bags.
private final class BagDecoder {
    let zstd = ZstdDecompressor()
    let compressed = ScratchBuffer()
    let record = ScratchBuffer()

    /// Reads and decompresses the frame of `entry`; returns its record, placed so the features are aligned.
    func decompress(_ entry: PackIndexEntry, from file: PackFile) throws -> UnsafeRawPointer {
        let compressedCount = Int(entry.compressedSize)
        compressed.reserve(compressedCount)
        try file.read(at: entry.offset, count: compressedCount, into: compressed.pointer, slideID: entry.slideID)
        let frame = UnsafeRawBufferPointer(start: compressed.pointer, count: compressedCount)
        guard let declared = ZstdDecompressor.declaredContentSize(frame), declared == entry.recordSize else {
            throw PackError.corruptBag(
                file: file.path, slideID: entry.slideID,
                detail: "the frame header does not declare the \(entry.recordSize)-byte record of the index")
        }
        let recordCount = Int(entry.recordSize)
        let start = BagRecord.alignedStart(slideIDBytes: entry.slideID.utf8.count)
        record.reserve(start + recordCount)
        let destination = UnsafeMutableRawBufferPointer(start: record.pointer + start, count: recordCount)
        let written: Int
        do {
            written = try zstd.decompress(frame, into: destination)
        } catch ZstdFailure.checksumMismatch {
            throw PackError.checksumMismatch(file: file.path, slideID: entry.slideID)
        } catch ZstdFailure.failed(let reason) {
            throw PackError.corruptBag(file: file.path, slideID: entry.slideID, detail: "zstd: \(reason)")
        }
        guard written == recordCount else {
            throw PackError.corruptBag(
                file: file.path, slideID: entry.slideID,
                detail: "frame holds \(written) bytes, the index says \(recordCount)")
        }
        return UnsafeRawPointer(record.pointer + start)
    }
}

/// An open pack file read with `pread` (no shared file position, so any thread may read).
final class PackFile: @unchecked Sendable {
    let path: String
    let size: UInt64
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw PackError.io(file: path, detail: "cannot open: \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw PackError.io(file: path, detail: "not a regular file")
        }
        size = UInt64(status.st_size)
    }

    deinit { close(descriptor) }

    func read(at offset: UInt64, count: Int, into destination: UnsafeMutableRawPointer, slideID: String? = nil) throws {
        var done = 0
        while done < count {
            let n = pread(descriptor, destination + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw PackError.io(file: path, detail: "cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                let detail = "the file ends at \(offset + UInt64(done)), before \(count) bytes at offset \(offset)"
                throw slideID.map { PackError.corruptBag(file: path, slideID: $0, detail: "truncated: " + detail) }
                    ?? PackError.truncated(file: path, detail: detail)
            }
            done += n
        }
    }

    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { try read(at: offset, count: count, into: buffer.baseAddress!) }
            initialized = count
        }
    }
}
