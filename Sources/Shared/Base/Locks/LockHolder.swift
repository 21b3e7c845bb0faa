import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who holds a `FolderLock`: the one line of JSON in the lock file.
///
///     {"host":"node17","pid":4242,"boot_id":"5d0c…","start_ticks":1234567,"tool":"hmil-train",
///      "token":"9f1e…","since":"2025-06-01T12:00:00Z"}
///
/// `boot_id` (the kernel's /proc/sys/kernel/random/boot_id) tells a restarted host from the one that
/// wrote the lock; `start_ticks` (field 22 of /proc/<pid>/stat, clock ticks after boot) tells the
/// holder from a later process that got the same pid; `token` is random, so a lock is recognised as
/// one's own (or as the very lock judged stale) by content alone.
public struct LockHolder: Codable, Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var pid: Int32
    public var bootID: String
    public var startTicks: UInt64?
    public var tool: String
    public var token: String
    public var since: String

    enum CodingKeys: String, CodingKey {
        case host, pid
        case bootID = "boot_id"
        case startTicks = "start_ticks"
        case tool, token, since
    }

    public init(host: String, pid: Int32, bootID: String, startTicks: UInt64?, tool: String, token: String, since: String) {
        self.host = host
        self.pid = pid
        self.bootID = bootID
        self.startTicks = startTicks
        self.tool = tool
        self.token = token
        self.since = since
    }

    /// This process, now.
    public static func current(tool: String) -> LockHolder {
        let pid = getpid()
        return LockHolder(
            host: hostName, pid: pid, bootID: bootID, startTicks: startTicks(of: pid), tool: tool,
            token: String(format: "%016llx%016llx", UInt64.random(in: 0 ... .max), UInt64.random(in: 0 ... .max)),
            since: ISO8601DateFormatter().string(from: Date()))
    }

    public var description: String { "\(tool) on host \(host), pid \(pid), since \(since)" }

    /// The line written to the lock file (sorted keys, newline-terminated).
    public var line: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try! encoder.encode(self) + Data("\n".utf8)
    }

    public static func parse(_ data: Data) -> LockHolder? {
        try? JSONDecoder().decode(LockHolder.self, from: data)
    }

    // MARK: - Is the holder alive? (answerable on its own host only)

    public enum Liveness: Equatable, Sendable {
        case alive
        /// Certainly not running; the reason, for the takeover message.
        case dead(String)
        /// Another host: only the lock's heartbeat can tell.
        case unknown
    }

    /// Whether this holder is still running, as far as this host can tell.
    public var liveness: Liveness {
        guard host == Self.hostName else { return .unknown }
        if bootID != Self.bootID { return .dead("host \(host) has restarted since") }
        if kill(pid, 0) != 0 && errno == ESRCH { return .dead("that process is no longer running") }
        if let recorded = startTicks, let now = Self.startTicks(of: pid), now != recorded {
            return .dead("that process is no longer running (pid \(pid) is now another process)")
        }
        return .alive
    }

    // MARK: - This host

    public static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(cString: buffer)
    }()

    /// The kernel's boot id; empty where /proc does not have it (then a restart is not detected).
    public static let bootID: String = {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? ""
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    /// Start time of a process in clock ticks after boot (/proc/<pid>/stat, field 22), or nil.
    public static func startTicks(of pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)" come fields 3, 4, …: field 22 is the 20th of them. comm may hold spaces and ')'.
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
}
