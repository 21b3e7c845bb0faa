import Foundation

/// How a finished process ended and what it printed.
public struct ToolRun {
    /// The exit code, or the signal number when `reason` is `.uncaughtSignal`.
    public var status: Int32
    public var reason: Process.TerminationReason
    public var stdout: Data
    public var stderr: String

    public init(status: Int32, reason: Process.TerminationReason = .exit, stdout: Data, stderr: String) {
        self.status = status
        self.reason = reason
        self.stdout = stdout
        self.stderr = stderr
    }

    /// stdout as text.
    public var output: String { String(decoding: stdout, as: UTF8.self) }
    /// stderr's lines, without the empty last one.
    public var errorLines: [String] { stderr.split(separator: "\n").map(String.init) }
}

/// What a process reads on stdin.
public enum ToolInput {
    /// The null device: the process reads end-of-file at once.
    case none
    /// These bytes (from a temporary file, so writing them can neither block nor raise SIGPIPE).
    case data(Data)
    /// The file at this path.
    case file(String)
}

/// A process that did not end within its time.
public struct ToolTimeout: Error, CustomStringConvertible {
    public var command: String
    public var seconds: TimeInterval
    public var description: String { "killed after \(Int(seconds)) s without ending: \(command)" }
}

/// The executables of this build. The test bundle is built beside them (`.build/<config>/`), which is
/// the one place tests look for a tool.
public enum BuiltTool {
    public static let directory: URL = {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }()

    /// The built executable `name`; throws when it has not been built.
    public static func url(_ name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw CocoaError(
                .fileNoSuchFile,
                userInfo: [
                    NSFilePathErrorKey: url.path,
                    NSLocalizedDescriptionKey: "build \(name) first (swift build): \(url.path)"
                ])
        }
        return url
    }

    /// Runs the built executable `name` to its end (see `ToolProcess.run`).
    public static func run(
        _ name: String, _ arguments: [String], stdin: ToolInput = .none, in folder: URL? = nil,
        timeout: TimeInterval = ToolProcess.defaultTimeout
    ) throws -> ToolRun {
        try ToolProcess.run(url(name), arguments, stdin: stdin, in: folder, timeout: timeout)
    }

    /// Starts the built executable `name`; `wait` collects its run.
    public static func start(_ name: String, _ arguments: [String], stdin: ToolInput = .none, in folder: URL? = nil) throws -> ToolProcess {
        try ToolProcess(url(name), arguments, stdin: stdin, in: folder)
    }
}

/// A running process whose stdout and stderr are read concurrently from the start, so a process that
/// fills one pipe while the other is being read cannot stall.
public final class ToolProcess: @unchecked Sendable {
    /// Long enough for the demo pipeline on a loaded machine; a process still running then has hung.
    public static let defaultTimeout: TimeInterval = 1800

    public let process: Process
    private let command: String
    private let finished = DispatchGroup()
    private var outputData = Data()
    private var errorData = Data()
    private var stdinFile: URL?

    public init(_ executable: URL, _ arguments: [String], stdin: ToolInput = .none, in folder: URL? = nil) throws {
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        command = ([executable.path] + arguments).joined(separator: " ")
        switch stdin {
        case .none:
            process.standardInput = FileHandle.nullDevice
        case .data(let data):
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("tool-stdin-\(UUID().uuidString)")
            try data.write(to: file)
            stdinFile = file
            process.standardInput = try FileHandle(forReadingFrom: file)
        case .file(let path):
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        finished.enter()
        finished.enter()
        DispatchQueue.global().async { [self] in
            outputData = output.fileHandleForReading.readDataToEndOfFile()
            finished.leave()
        }
        DispatchQueue.global().async { [self] in
            errorData = errors.fileHandleForReading.readDataToEndOfFile()
            finished.leave()
        }
    }

    deinit { if let stdinFile { try? FileManager.default.removeItem(at: stdinFile) } }

    public var isRunning: Bool { process.isRunning }
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Sends `signal` to the process.
    public func kill(_ signal: Int32 = SIGKILL) { _ = Foundation.kill(process.processIdentifier, signal) }

    /// Waits for the process to end and both pipes to close; after `timeout` seconds kills it and throws.
    public func wait(timeout: TimeInterval = ToolProcess.defaultTimeout) throws -> ToolRun {
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            kill()
            throw ToolTimeout(command: command, seconds: timeout)
        }
        process.waitUntilExit()
        return ToolRun(
            status: process.terminationStatus, reason: process.terminationReason, stdout: outputData,
            stderr: String(decoding: errorData, as: UTF8.self))
    }

    /// Runs `executable` with `arguments` to its end.
    public static func run(
        _ executable: URL, _ arguments: [String], stdin: ToolInput = .none, in folder: URL? = nil,
        timeout: TimeInterval = defaultTimeout
    ) throws -> ToolRun {
        try ToolProcess(executable, arguments, stdin: stdin, in: folder).wait(timeout: timeout)
    }
}
