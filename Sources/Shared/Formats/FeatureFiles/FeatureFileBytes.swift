import Foundation

/// Whole-file reads for the feature readers, with the size checked before anything is allocated.
public enum FeatureFileBytes {
    public static func read(_ path: String, limit: Int) throws -> [UInt8] {
        let size = try fileSize(path)
        guard size <= limit else {
            throw ToolError("file is \(size) bytes, more than the \(limit)-byte limit", at: path)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ToolError("cannot open file", at: path, hint: "check the path and permissions")
        }
        defer { try? handle.close() }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            guard let chunk = try handle.read(upToCount: min(size - done, 1 << 24)), !chunk.isEmpty else {
                throw ToolError("file shrank while being read (\(done) of \(size) bytes)", at: path)
            }
            bytes.withUnsafeMutableBytes { buffer in
                chunk.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + chunk.count]))
            }
            done += chunk.count
        }
        return bytes
    }

    public static func fileSize(_ path: String) throws -> Int {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = (attributes[.size] as? NSNumber)?.intValue
        else {
            throw ToolError("cannot read file", at: path, hint: "check the path and permissions")
        }
        return size
    }
}
