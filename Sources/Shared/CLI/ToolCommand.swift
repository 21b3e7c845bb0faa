import ArgumentParser

/// A tool's root command: adopt this instead of `ParsableCommand` and a usage error (unknown flag,
/// missing or invalid value, failed `validate()`) follows `ToolRunner`'s contract like every other
/// error: one line on stderr, `hmil-x: error: <ArgumentParser's message> — see hmil-x --help`, and
/// exit status `ToolError.failureExitCode` (1), not ArgumentParser's usage block and status 64.
/// `--help`, `--version` and `--generate-completion-script` behave as ArgumentParser's own.
public protocol ToolCommand: ParsableCommand {}

extension ToolCommand {
    /// Parses like ArgumentParser's own `main`; a failure to parse is the one line above.
    public static func main() {
        let tool = configuration.commandName ?? String(CommandLine.arguments[0].split(separator: "/").last ?? "hmil")
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            ToolRunner.run(tool) { throw ToolError(message(for: error), hint: "see \(tool) --help") }
        }
        do { try command.run() } catch { exit(withError: error) }
    }
}
