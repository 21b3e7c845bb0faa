import CKernels
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a tool's body and turns any thrown error into the contract's one-line diagnostic on stderr
/// (`hmil-x: error: …`) and a non-zero exit. A closed stdout (e.g. `| head`) ends the tool quietly.
/// Before the body, while the tool has one thread: freed large blocks stay with the allocator for the
/// next bag (`hmil_reuse_freed_blocks`), instead of costing fresh pages per bag.
public enum ToolRunner {
    public static func run(_ tool: String, _ body: () throws -> Void) -> Never {
        hmil_reuse_freed_blocks()
        signal(SIGPIPE, SIG_IGN)
        do {
            try body()
            exit(0)
        } catch let error as BrokenPipe {
            _ = error
            exit(0)
        } catch {
            StandardError.write("\(tool): error: \(ToolError.describe(error))\n")
            exit(ToolError.failureExitCode)
        }
    }
}
