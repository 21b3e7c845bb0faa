import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive lock on a work folder that holds on the shared file systems of clusters (NFS, Lustre),
/// so that two processes never write one folder at once: two `hmil-train` on one fold folder, two
/// `hmil-pack` into one `--out`. The second is refused with one line naming the holder's host and pid.
///
/// **The lock** is the file `<folder>/.hmil-lock`, one line of JSON naming its holder (`LockHolder`:
/// host, pid, boot id, process start time, tool, a random token, the time taken).
///
/// **Taking it**: the holder's line is written whole into a private file beside it
/// (`.hmil-lock.<host>.<pid>.<token>`), which is then hard-linked to `.hmil-lock`. link(2) fails when the
/// name exists and is atomic on local file systems, on NFS (every version: the server decides) and on
/// Lustre (the metadata server decides), so of any number of concurrent takers, on any nodes, exactly one
/// wins; and a reader never sees a half-written lock, as it could between an O_EXCL create and its write.
/// A link whose NFS reply was lost (the link was made, the call failed) is recognised by the private
/// file's link count of 2. The private file stays while the lock is held: a name that is a hard link of
/// it is this process's lock, a test a signal handler can make (see `LockCleanup`).
///
/// **When a lock is stale** (its holder cannot be running any more):
/// - holder on this host (same host name): stale when the boot id differs (the host restarted), or when
///   its pid is gone or now belongs to a process with another start time (the pid was reused);
///   otherwise it is held, however old.
/// - holder on another host: its processes cannot be seen from here, so the holder touches the lock every
///   `heartbeat` seconds (30) from a background thread, and the lock is stale when its mtime is older than
///   `staleAfter` (10 minutes). Both times come from the file server: the age is the private file's mtime
///   (just written, so "now" on the server) minus the lock's, so clocks that differ between nodes do not
///   matter. A node that dies, or a job killed with SIGKILL, is thus recognised within `staleAfter`.
/// - an unreadable lock (not our JSON) counts as held until it is `staleAfter` old.
///
/// **Taking over** a stale lock: under a second lock taken the same way (`.hmil-lock.break`), re-read the
/// lock and remove it only if it is still the one judged stale, then take it as above and say so on stderr.
/// The break lock keeps two takers from removing each other's fresh lock; one left by a taker killed in
/// that instant is removed when a minute old.
///
/// **Released** by `release()` or deinit (only if it is still ours), and on SIGINT, SIGTERM and SIGHUP
/// (Slurm's scancel sends SIGTERM) before the process ends as the signal says. A taker of a stale lock
/// also removes its dead holder's private file. SIGKILL or a crashed node
/// leave it, for the next taker to recognise as stale. If a heartbeat finds the lock taken over (the
/// process stood still for longer than `staleAfter`, e.g. a suspended job), the process stops with an
/// error: writing on would race the new holder.
public final class FolderLock {
    public static let fileName = ".hmil-lock"
    public static let defaultStaleAfter: TimeInterval = 600
    public static let defaultHeartbeat: TimeInterval = 30

    public let folder: String
    public let path: String
    public let holder: LockHolder
    /// The holder's line, written before the lock is taken; the lock is a hard link of it while held.
    public let privatePath: String
    private var heartbeat: Heartbeat?
    private var cleanupSlot: Int?
    private var released = false

    /// Takes the lock of `folder` (created if missing) or throws the one-line refusal. `warn` receives
    /// the takeover message of a stale lock; `lost` runs (on the heartbeat thread) if the lock is taken
    /// over while held, and by default ends the process with an error.
    public init(
        folder: String, tool: String, staleAfter: TimeInterval = FolderLock.defaultStaleAfter,
        heartbeat interval: TimeInterval = FolderLock.defaultHeartbeat,
        warn: (String) -> Void = { StandardError.write($0 + "\n") },
        lost: (@Sendable (LockHolder?) -> Void)? = nil
    ) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        self.folder = folder
        path = folder + "/" + Self.fileName
        holder = LockHolder.current(tool: tool)
        privatePath = Self.privatePath(of: holder, lock: path)
        let now = try Self.writePrivate(holder.line, to: privatePath, lockPath: path)
        // Registered before the first link, so a signal at any moment removes what this process holds.
        cleanupSlot = LockCleanup.register(privateFile: privatePath, links: [path, path + ".break"])
        var taken = false
        defer { if !taken { release() } }

        var attempts = 0
        while true {
            attempts += 1
            if Self.link(privatePath, to: path) { break }
            guard attempts < 100 else {
                throw ToolError(
                    "cannot take the lock of \(folder): it keeps changing hands", at: path,
                    hint: "another process is taking it over and over; stop it and try again")
            }
            guard let (content, mtime) = Self.read(path) else { continue }  // released meanwhile: try again
            let age = now - mtime
            let found = LockHolder.parse(content)
            let verdict = Self.staleness(found, age: age, staleAfter: staleAfter)
            guard let reason = verdict else {
                let who = found.map { "\($0)" } ?? "an unreadable lock, \(Int(age)) s old"
                throw ToolError(
                    "\(folder) is in use by \(who)", at: path,
                    hint: "wait for it to finish or stop it; a lock left by a killed process is taken over by the next run")
            }
            switch Self.removeStale(path, expected: content, privatePath: privatePath, now: now) {
            case .removed:
                if let found { unlink(Self.privatePath(of: found, lock: path)) }  // the dead holder's twin
                let who = found.map { "\($0)" } ?? "an unreadable lock"
                warn("\(tool): warning: taking over the lock of \(folder) from \(who): \(reason) (\(path))")
            case .changed: break
            case .busy: usleep(20_000)  // another taker is removing it
            }
        }
        taken = true
        let path = self.path
        let token = holder.token
        let folder = self.folder
        let onLost =
            lost ?? { found in
                StandardError.write(
                    "\(tool): error: lost the lock of \(folder) to \(found.map { "\($0)" } ?? "another process") (\(path)) — this process stood still longer than \(Int(staleAfter)) s and was taken for dead; stopping\n"
                )
                exit(ToolError.failureExitCode)
            }
        heartbeat = Heartbeat(interval: interval) {
            guard let (content, _) = Self.read(path), let found = LockHolder.parse(content), found.token == token else {
                onLost(Self.read(path).flatMap { LockHolder.parse($0.0) })
                return false
            }
            _ = utimensat(AT_FDCWD, path, nil, 0)
            return true
        }
    }

    /// Removes the lock if it is still ours, and the private file; stops the heartbeat. Safe to call twice.
    public func release() {
        heartbeat?.stop()
        heartbeat = nil
        guard !released else { return }
        released = true
        if let (content, _) = Self.read(path), LockHolder.parse(content)?.token == holder.token {
            unlink(path)
        }
        unlink(privatePath)
        if let slot = cleanupSlot { LockCleanup.unregister(slot) }
        cleanupSlot = nil
    }

    deinit { release() }

    // MARK: - The rules

    /// Why a lock is stale, or nil when it is held. See the type's documentation.
    static func staleness(_ found: LockHolder?, age: TimeInterval, staleAfter: TimeInterval) -> String? {
        switch found?.liveness ?? .unknown {
        case .alive: return nil
        case .dead(let reason): return reason
        case .unknown:
            guard age > staleAfter else { return nil }
            return found == nil ? "untouched for \(Int(age)) s" : "no heartbeat for \(Int(age)) s"
        }
    }

    // MARK: - File operations

    private static func privatePath(of holder: LockHolder, lock: String) -> String {
        "\(lock).\(holder.host).\(holder.pid).\(holder.token)"
    }

    /// Writes the private file and returns its mtime: the file server's "now".
    private static func writePrivate(_ line: Data, to privatePath: String, lockPath: String) throws -> TimeInterval {
        let fd = open(privatePath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ToolError(
                "cannot create \(privatePath): \(String(cString: strerror(errno)))", at: lockPath,
                hint: "check that the folder is writable")
        }
        defer { close(fd) }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var info = stat()
        guard written == line.count, fsync(fd) == 0, fstat(fd, &info) == 0 else {
            unlink(privatePath)
            throw ToolError(
                "cannot write \(privatePath): \(String(cString: strerror(errno)))", at: lockPath,
                hint: "check free disk space")
        }
        return seconds(info.st_mtim)
    }

    /// Links `source` to `name`; true when the link exists afterwards (including a lost NFS reply).
    private static func link(_ source: String, to name: String) -> Bool {
        if Glibc.link(source, name) == 0 { return true }
        var info = stat()
        return errno != EEXIST && stat(source, &info) == 0 && info.st_nlink == 2
    }

    /// The lock's content and mtime, or nil when it does not exist.
    static func read(_ path: String) -> (Data, TimeInterval)? {
        var info = stat()
        guard stat(path, &info) == 0, let data = FileManager.default.contents(atPath: path) else { return nil }
        return (data, seconds(info.st_mtim))
    }

    private enum Removal { case removed, changed, busy }

    /// Removes the lock at `path` if its content is still `expected` (`changed` when it is not), under
    /// the break lock (`busy` when another taker holds that).
    private static func removeStale(_ path: String, expected: Data, privatePath: String, now: TimeInterval) -> Removal {
        let breaker = path + ".break"
        guard link(privatePath, to: breaker) else {
            if let (_, mtime) = read(breaker), now - mtime > 60 { unlink(breaker) }
            return .busy
        }
        defer { unlink(breaker) }
        guard let (content, _) = read(path), content == expected else { return .changed }
        unlink(path)
        return .removed
    }

    private static func seconds(_ time: timespec) -> TimeInterval {
        TimeInterval(time.tv_sec) + TimeInterval(time.tv_nsec) / 1e9
    }
}

/// Calls `beat` every `interval` seconds on a background thread until stopped or `beat` returns false.
private final class Heartbeat: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false
    private let ended = DispatchSemaphore(value: 0)

    init(interval: TimeInterval, beat: @escaping @Sendable () -> Bool) {
        let thread = Thread { [self] in
            condition.lock()
            while !stopped {
                if !condition.wait(until: Date(timeIntervalSinceNow: interval)) && !stopped {
                    condition.unlock()
                    let goOn = beat()
                    condition.lock()
                    if !goOn { break }
                }
            }
            condition.unlock()
            ended.signal()
        }
        thread.name = "hmil-lock-heartbeat"
        thread.start()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
        ended.wait()
    }
}
