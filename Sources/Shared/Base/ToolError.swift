import Foundation

/// A failure caused by the user's input or environment, rendered as the one line every tool prints:
/// `<what> (<where>) — <what to do>`. The tool prefixes `hmil-x: error: `.
///
/// Programmer errors (shape mismatches inside the math core) are preconditions, not ToolErrors.
public struct ToolError: Error, CustomStringConvertible, Equatable {
    public var what: String
    public var location: String?
    public var hint: String?

    public init(_ what: String, at location: String? = nil, hint: String? = nil) {
        self.what = what
        self.location = location
        self.hint = hint
    }

    public var description: String {
        var line = what
        if let location { line += " (\(location))" }
        if let hint { line += " — \(hint)" }
        return line
    }
}

extension ToolError {
    /// Exit status of a tool that failed on input, options or environment (`ToolRunner`, usage errors, a lost lock).
    public static let failureExitCode: Int32 = 1

    /// The one-line text of any error: our own errors describe themselves; anything else gets its localized text.
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
