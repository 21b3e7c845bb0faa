import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a file so that readers see either the old content or the complete new one, never a part:
/// the bytes go to a temporary file in the same folder, are synced, and are renamed over the final name.
/// A writer that is dropped without `commit()` removes its temporary file.
public final class AtomicFileWriter {
    public let path: String
    public let temporaryPath: String
    private var fd: Int32
    private var committed = false

    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        temporaryPath = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw ToolError(
                "cannot create \(temporaryPath): \(String(cString: strerror(errno)))", at: path,
                hint: "check that the folder exists and is writable")
        }
    }

    /// Bytes written so far.
    public private(set) var offset: UInt64 = 0

    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw ToolError("cannot write: \(String(cString: strerror(errno)))", at: path, hint: "check free disk space")
            }
            done += n
        }
        offset += UInt64(buffer.count)
        if offset - writtenBack >= Self.writebackChunk {
            // Start writing the finished part to disk now, without waiting, so `commit()`'s fsync finds
            // little left to do instead of the whole file (for a pack: seconds at the very end).
            _ = Self.syncFileRange?(fd, Int64(writtenBack), Int64(offset - writtenBack), Self.syncFileRangeWrite)
            writtenBack = offset
        }
    }

    private var writtenBack: UInt64 = 0
    private static let writebackChunk: UInt64 = 32 << 20

    /// Linux's sync_file_range(2), which Swift's Glibc module does not export (it needs _GNU_SOURCE);
    /// nil elsewhere, and then `commit()` syncs everything as before.
    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    private static let syncFileRange: SyncFileRange? = dlsym(nil, "sync_file_range").map { unsafeBitCast($0, to: SyncFileRange.self) }
    private static let syncFileRangeWrite: UInt32 = 2  // SYNC_FILE_RANGE_WRITE

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Syncs and renames the temporary file over `path`. With `durable` false the sync is left out: the
    /// rename is still atomic for every reader and against a killed process, but after a power loss or a
    /// node crash the file may be empty or old; for files that can be rebuilt from a durable one (the
    /// training history from state.json), where a sync costs more than a small model's epoch.
    public func commit(durable: Bool = true) throws {
        precondition(!committed, "commit() called twice")
        if durable, fsync(fd) != 0 {
            throw ToolError("cannot sync: \(String(cString: strerror(errno)))", at: path)
        }
        close(fd)
        fd = -1
        if rename(temporaryPath, path) != 0 {
            throw ToolError("cannot rename \(temporaryPath): \(String(cString: strerror(errno)))", at: path)
        }
        committed = true
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporaryPath) }
    }
}

public enum AtomicFile {
    /// Replaces the file at `path` with `data` atomically (and, unless `durable` is false, synced to disk
    /// before it replaces the old one: see `AtomicFileWriter.commit(durable:)`).
    public static func write(_ data: Data, to path: String, durable: Bool = true) throws {
        let writer = try AtomicFileWriter(path: path)
        try writer.write(data)
        try writer.commit(durable: durable)
    }
}
