import ArgumentParser
import Foundation

/// A child process started with posix_spawn and reaped with wait4, timed from spawn to exit (start-up
/// and everything the process does, as a user runs it), with its own peak RSS.
enum ChildProcess {
    struct Result {
        var status: Int32
        var peakRSS: Int
        var seconds: Double
    }

    static func run(_ executable: String, _ arguments: [String], stdout: String, stderr: String) throws -> Result {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw ValidationError("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        let watcher = PeakWatcher(pid: pid)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let peak = watcher.stop()
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Result(status: exit, peakRSS: peak > 0 ? peak : usage.ru_maxrss * 1024, seconds: seconds)
    }

    /// The child's own peak RSS: VmHWM of /proc/<pid>/status, read every 20 ms until it exits (the
    /// mark only rises, so the last read misses at most the final 20 ms). wait4's ru_maxrss is not
    /// used: posix_spawn starts the child in the parent's address space, and Linux carries that
    /// space's high-water mark across exec, so ru_maxrss is at least this benchmark's own peak.
    private final class PeakWatcher: @unchecked Sendable {
        private let lock = NSLock()
        private var running = true
        private var peak = 0
        private let path: String

        init(pid: pid_t) {
            path = "/proc/\(pid)/status"
            Thread.detachNewThread { [self] in
                while isRunning {
                    if let text = try? String(contentsOfFile: path, encoding: .utf8),
                        let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                        let kib = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
                    {
                        record(kib * 1024)
                    }
                    usleep(20_000)
                }
            }
        }

        private var isRunning: Bool {
            lock.lock()
            defer { lock.unlock() }
            return running
        }
        private func record(_ bytes: Int) {
            lock.lock()
            peak = max(peak, bytes)
            lock.unlock()
        }

        /// Stops watching; the peak seen (0 if never read).
        func stop() -> Int {
            lock.lock()
            defer { lock.unlock() }
            running = false
            return peak
        }
    }

    /// What `command` (looked up on PATH) prints, trimmed; "?" when it cannot run.
    static func output(_ command: String, _ arguments: [String] = []) -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hmil-bench-\(getpid())-\(command).out").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        guard let result = try? run("/usr/bin/env", [command] + arguments, stdout: file, stderr: "/dev/null"), result.status == 0,
            let text = try? String(contentsOfFile: file, encoding: .utf8)
        else { return "?" }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
