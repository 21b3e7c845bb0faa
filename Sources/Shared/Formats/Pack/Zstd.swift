import CZstd
import Foundation

/// The thin wrapper every zstd call of the pack goes through (stable API only); zstd's size_t error
/// codes become `ZstdFailure` here and nowhere else. Contexts are reused: creating one costs
/// allocations of hundreds of kilobytes, so each worker keeps its own.
enum ZstdFailure: Error {
    case checksumMismatch
    case failed(String)

    static func check(_ code: Int) -> ZstdFailure? {
        guard ZSTD_isError(code) != 0 else { return nil }
        if ZSTD_getErrorCode(code) == ZSTD_error_checksum_wrong { return .checksumMismatch }
        return .failed(String(cString: ZSTD_getErrorName(code)))
    }
}

/// One compression context: frames with content size and XXH64 content checksum, at a fixed level.
final class ZstdCompressor {
    private let context: OpaquePointer

    init(level: Int) {
        guard let context = ZSTD_createCCtx() else { fatalError("zstd: out of memory creating a context") }
        self.context = context
        // Parameters in range cannot fail; levels are clamped by zstd itself.
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level))
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1)
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Largest frame `count` bytes can compress to.
    static func bound(_ count: Int) -> Int { ZSTD_compressBound(count) }

    static var levels: ClosedRange<Int> { Int(ZSTD_minCLevel())...Int(ZSTD_maxCLevel()) }

    /// Compresses `source` into one frame in `destination` (at least `bound(source.count)` bytes); returns its size.
    func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        let written = ZSTD_compress2(context, destination.baseAddress, destination.count, source.baseAddress, source.count)
        if let failure = ZstdFailure.check(written) { throw failure }
        return written
    }
}

/// One decompression context.
final class ZstdDecompressor {
    private let context: OpaquePointer

    init() {
        guard let context = ZSTD_createDCtx() else { fatalError("zstd: out of memory creating a context") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// The content size a frame header declares, or nil when the header is unreadable or has none.
    static func declaredContentSize(_ frame: UnsafeRawBufferPointer) -> UInt64? {
        let size = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        // ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR are the two largest values.
        return size >= UInt64.max - 1 ? nil : size
    }

    /// Decompresses all of `source` (one frame) into `destination`, verifying the content checksum; returns
    /// the content size.
    func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        let written = ZSTD_decompressDCtx(context, destination.baseAddress, destination.count, source.baseAddress, source.count)
        if let failure = ZstdFailure.check(written) { throw failure }
        return written
    }
}

/// A growable scratch buffer aligned for vector loads, reused across bags so the hot path does not allocate.
final class ScratchBuffer {
    private(set) var pointer: UnsafeMutableRawPointer
    private(set) var capacity: Int

    init(capacity: Int = 1 << 16) {
        self.capacity = capacity
        pointer = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { pointer.deallocate() }

    /// Makes room for `count` bytes; the content is not kept.
    func reserve(_ count: Int) {
        guard count > capacity else { return }
        pointer.deallocate()
        capacity = max(count, capacity + capacity / 2)
        pointer = .allocate(byteCount: capacity, alignment: 64)
    }
}

/// Objects handed out to one thread at a time and put back for reuse (zstd contexts with their buffers).
final class ReusePool<Item>: @unchecked Sendable {
    private var items: [Item] = []
    private let lock = NSLock()
    private let make: () -> Item

    init(make: @escaping () -> Item) { self.make = make }

    func withItem<T>(_ body: (Item) throws -> T) rethrows -> T {
        let item = lock.withLock { items.popLast() } ?? make()
        defer { lock.withLock { items.append(item) } }
        return try body(item)
    }
}
