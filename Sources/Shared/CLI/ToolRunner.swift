#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Runs a tool's body and turns any thrown error into the contract's one-line diagnostic on stderr
/// (`hmil-x: error: …`) and a non-zero exit. A closed stdout (e.g. `| head`) ends the tool quietly.
public enum ToolRunner {
    /// Exit code for a failure caused by input, options or environment.
    public static let failureExitCode: Int32 = 1

    public static func run(_ tool: String, _ body: () throws -> Void) -> Never {
        signal(SIGPIPE, SIG_IGN)
        do {
            try body()
            exit(0)
        } catch let error as BrokenPipe {
            _ = error
            exit(0)
        } catch {
            StandardError.write("\(tool): error: \(describe(error))\n")
            exit(failureExitCode)
        }
    }

    /// The one-line text of an error: our own errors describe themselves; anything else gets its localized text.
    public static func describe(_ error: Error) -> String {
        let text: String
        if error is CocoaError || error is POSIXError {
            text = error.localizedDescription
        } else {
            text = String(describing: error)
        }
        return text.replacingOccurrences(of: "\n", with: " ")
    }
}

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
