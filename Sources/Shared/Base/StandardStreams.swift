import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thrown when stdout's reader went away; not an error for a Unix tool.
public struct BrokenPipe: Error {}

/// Unbuffered writes to stderr, for diagnostics and progress.
public enum StandardError {
    public static func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }

    public static var isTerminal: Bool { isatty(2) == 1 }
}

/// Writes all of `data` to stdout; throws BrokenPipe when the reader has gone.
public enum StandardOutput {
    public static func write(_ data: Data) throws {
        try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE { throw BrokenPipe() }
                    throw ToolError("cannot write to stdout: \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
    }
}
