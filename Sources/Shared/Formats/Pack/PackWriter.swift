import Foundation

/// A bag compressed into its pack frame by `PackWriter.encode`, ready to be appended in order.
public struct EncodedBag: Sendable {
    public let slideID: String
    public let instanceCount: Int
    /// Bytes of the uncompressed record.
    public let recordSize: Int
    /// The complete zstd frame as it goes into the file.
    public let frame: [UInt8]
    fileprivate let writer: ObjectIdentifier
}

/// Writes a `.hbag` pack (layout in `PackFormat`) one bag at a time; memory does not grow with the pack
/// beyond its index. The file appears under its final name only when `finish()` succeeds.
///
/// Encoding and appending are split so bags can be compressed on several threads and written in order:
/// `encode(_:)` is thread-safe and pure (it touches only a per-thread zstd context); `append(_:)` and
/// `finish()` must be called from one thread at a time.
///
///     let writer = try PackWriter(path: "work/bags.hbag", featureDim: 1024, options: .init(dtype: .f16))
///     for bag in bags { try writer.append(bag) }
///     try writer.finish()
public final class PackWriter: @unchecked Sendable {
    public struct Options: Sendable, Equatable {
        public var dtype: StorageDType
        public var coordinates: CoordinatesKind
        /// zstd level; negative levels are zstd's fast modes.
        public var compressionLevel: Int
        /// Group each element's bytes by significance before compressing (see `PackFormat`).
        public var byteShuffle: Bool
        /// Recorded in the header, e.g. "hmil-pack 0.1.0".
        public var tool: String
        /// Recorded in the header: where the patches lie.
        public var geometry: PackGeometry?

        public init(
            dtype: StorageDType = PackWriter.defaultDType, coordinates: CoordinatesKind = .none,
            compressionLevel: Int = PackWriter.defaultCompressionLevel,
            byteShuffle: Bool = PackWriter.defaultByteShuffle, tool: String = "hmil", geometry: PackGeometry? = nil
        ) {
            self.dtype = dtype
            self.coordinates = coordinates
            self.compressionLevel = compressionLevel
            self.byteShuffle = byteShuffle
            self.tool = tool
            self.geometry = geometry
        }
    }

    /// Defaults chosen from `hmil-bench pack --table` (see `PackDefaults.swift` and Benchmarks/RESULTS.md).
    public static let defaultCompressionLevel = PackDefaults.compressionLevel
    public static let defaultByteShuffle = PackDefaults.byteShuffle
    /// f32 stores the features exactly.
    public static let defaultDType = StorageDType.f32

    public let path: String
    public let header: PackHeader
    public let options: Options
    public var featureDim: Int { header.featureDim }
    /// Bags appended so far.
    public var bagCount: Int { entries.count }
    /// Bytes written to the file so far.
    public var bytesWritten: UInt64 { file.offset }

    private let file: AtomicFileWriter
    private var entries: [PackIndexEntry] = []
    private var seen: Set<String> = []
    private var finished = false
    private let scratch: ReusePool<(ZstdCompressor, record: ScratchBuffer)>

    public init(path: String, featureDim: Int, options: Options = Options()) throws {
        guard (1...PackFormat.maxFeatureDim).contains(featureDim) else {
            throw ToolError("feature dim \(featureDim) is out of range 1…\(PackFormat.maxFeatureDim)", at: path)
        }
        guard ZstdCompressor.levels.contains(options.compressionLevel) else {
            throw ToolError(
                "zstd level \(options.compressionLevel) is out of range \(ZstdCompressor.levels)", at: path,
                hint: "pick a level in that range (\(PackWriter.defaultCompressionLevel) is the default)")
        }
        self.path = path
        self.options = options
        header = PackHeader(
            featureDim: featureDim, dtype: options.dtype, coordinates: options.coordinates,
            byteShuffle: options.byteShuffle, tool: options.tool, geometry: options.geometry)
        let level = options.compressionLevel
        scratch = ReusePool { (ZstdCompressor(level: level), ScratchBuffer()) }
        file = try AtomicFileWriter(path: path)
        let headerFrame = try Self.headerFrame(header, path: path)
        try file.write(headerFrame)
    }

    /// Checks `bag` against the pack and compresses it into its frame. Thread-safe.
    public func encode(_ bag: Bag) throws -> EncodedBag {
        try bag.withView { try encode($0) }
    }

    /// Checks `bag` against the pack and compresses it into its frame; the features are read in place
    /// (e.g. from a mapped feature file) and converted to the storage dtype on the way. Thread-safe.
    public func encode(_ bag: BagView) throws -> EncodedBag {
        let slideID = Array(bag.slideID.utf8)
        guard (1...PackFormat.maxSlideIDBytes).contains(slideID.count) else {
            throw PackError.invalidBag(
                file: path, slideID: bag.slideID,
                detail: "slide id must be 1…\(PackFormat.maxSlideIDBytes) bytes of UTF-8")
        }
        guard bag.featureDim == header.featureDim else {
            throw PackError.featureDimMismatch(file: path, slideID: bag.slideID, pack: header.featureDim, bag: bag.featureDim)
        }
        let kind = CoordinatesKind(bag.coordinates)
        guard kind == header.coordinates else {
            throw PackError.coordinatesMismatch(file: path, slideID: bag.slideID, pack: header.coordinates, bag: kind)
        }
        if let coordinates = bag.coordinates, coordinates.count != bag.instanceCount {
            throw PackError.invalidBag(
                file: path, slideID: bag.slideID,
                detail: "\(coordinates.count) coordinate pairs for \(bag.instanceCount) instances")
        }
        guard
            let size = BagRecord.size(
                slideIDBytes: slideID.count, instanceCount: bag.instanceCount,
                featureDim: bag.featureDim, dtype: header.dtype, coordinates: kind),
            ZstdCompressor.bound(size) > 0
        else {
            throw PackError.invalidBag(file: path, slideID: bag.slideID, detail: "the bag is too large for one frame")
        }
        let frame = try scratch.withItem { compressor, recordBuffer in
            let record = BagRecord.write(bag, slideID: slideID, size: size, header: header, into: recordBuffer)
            // zstd writes the frame straight into the array that carries it to the file: no copy, and only
            // the pages it writes are ever touched.
            return try [UInt8](unsafeUninitializedCapacity: ZstdCompressor.bound(size)) { frame, initialized in
                do {
                    initialized = try compressor.compress(record, into: UnsafeMutableRawBufferPointer(frame))
                } catch {
                    throw PackError.invalidBag(file: path, slideID: bag.slideID, detail: "zstd failed: \(error)")
                }
            }
        }
        return EncodedBag(
            slideID: bag.slideID, instanceCount: bag.instanceCount, recordSize: size, frame: frame,
            writer: ObjectIdentifier(self))
    }

    /// Appends a bag encoded by this writer. Throws on a slide id already in the pack.
    public func append(_ encoded: EncodedBag) throws {
        precondition(encoded.writer == ObjectIdentifier(self), "EncodedBag comes from another PackWriter")
        precondition(!finished, "append after finish()")
        guard seen.insert(encoded.slideID).inserted else {
            throw PackError.duplicateSlide(file: path, slideID: encoded.slideID)
        }
        entries.append(
            PackIndexEntry(
                slideID: encoded.slideID, offset: file.offset, compressedSize: UInt64(encoded.frame.count),
                recordSize: UInt64(encoded.recordSize), instanceCount: encoded.instanceCount))
        do {
            try file.write(encoded.frame)
        } catch {
            seen.remove(encoded.slideID)
            entries.removeLast()
            throw error
        }
    }

    /// Appends a bag frame taken unchanged from another pack with the same header (dtype, feature dim,
    /// coordinates, byte shuffle), so adding slides to a pack does not recompress the bags already in it.
    public func appendFrame(_ frame: [UInt8], of entry: PackIndexEntry) throws {
        try append(
            EncodedBag(
                slideID: entry.slideID, instanceCount: entry.instanceCount, recordSize: Int(entry.recordSize),
                frame: frame, writer: ObjectIdentifier(self)))
    }

    /// Encodes and appends one bag.
    public func append(_ bag: Bag) throws {
        if seen.contains(bag.slideID) { throw PackError.duplicateSlide(file: path, slideID: bag.slideID) }
        try append(encode(bag))
    }

    /// Writes the index and footer and moves the pack to its final name.
    public func finish() throws {
        precondition(!finished, "finish() called twice")
        try file.write(try Self.indexFrame(entries, at: file.offset, path: path))
        try file.commit()
        finished = true
    }

    private static func headerFrame(_ header: PackHeader, path: String) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(header)
        guard json.count <= PackFormat.maxHeaderJSON else {
            throw ToolError(
                "pack header is larger than \(PackFormat.maxHeaderJSON) bytes", at: path,
                hint: "shorten the tool name and the geometry source")
        }
        var out = ByteWriter()
        out.u32(PackFormat.headerFrameMagic)
        out.u32(UInt32(PackFormat.headerFixedSize + json.count))
        out.append(PackFormat.headerMagic)
        out.u32(PackFormat.version)
        out.u32(UInt32(json.count))
        out.u32(CRC32.checksum(json))
        out.append(json)
        return out.bytes
    }

    private static func indexFrame(_ entries: [PackIndexEntry], at offset: UInt64, path: String) throws -> [UInt8] {
        var payload = ByteWriter()
        payload.append(PackFormat.indexMagic)
        payload.u64(UInt64(entries.count))
        for entry in entries {
            let id = Array(entry.slideID.utf8)
            payload.u32(UInt32(id.count))
            payload.append(id)
            payload.u64(entry.offset)
            payload.u64(entry.compressedSize)
            payload.u64(entry.recordSize)
            payload.u64(UInt64(entry.instanceCount))
        }
        let entriesLength = payload.bytes.count - PackFormat.indexFixedSize
        let frameSize = payload.bytes.count + PackFormat.footerSize
        guard frameSize <= Int(UInt32.max) else {
            throw ToolError("pack index exceeds 4 GiB (\(entries.count) bags)", at: path, hint: "split the bags over several packs")
        }
        let crc = CRC32.checksum(payload.bytes)
        var out = ByteWriter()
        out.u32(PackFormat.indexFrameMagic)
        out.u32(UInt32(frameSize))
        out.append(payload.bytes)
        out.u64(offset)
        out.u64(UInt64(entriesLength))
        out.u32(crc)
        out.u32(PackFormat.version)
        out.append(PackFormat.footerMagic)
        return out.bytes
    }
}
