import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Removes the lock files this process holds when SIGINT, SIGTERM or SIGHUP ends it (Ctrl-C, Slurm's
/// scancel, a closed terminal), so that the next run does not have to recognise them as stale; then the
/// signal ends the process as it would have. A signal the process ignores (nohup's SIGHUP) stays ignored.
///
/// A taker registers before it tries to take the lock: its private file and the names it may link that file
/// to (the lock, the break lock). The handler removes a name only if it is a hard link of the private file
/// (same device and inode), so a signal at any moment removes exactly what this process holds, never a lock
/// another process took meanwhile. The handler makes only async-signal-safe calls (stat, unlink) over a fixed
/// table of C strings; registering and unregistering take a lock, the handler does not (a slot is written
/// whole before it is published, and freed only after it is cleared).
enum LockCleanup {
    static let capacity = 64
    static let namesPerSlot = 3
    /// capacity × namesPerSlot C strings: the private file, then the names it may be linked to.
    nonisolated(unsafe) private static let table: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let table = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity * namesPerSlot)
        table.initialize(repeating: nil, count: capacity * namesPerSlot)
        return table
    }()
    private static let mutex = NSLock()
    nonisolated(unsafe) private static var installed = false

    /// Adds a private file and the names it may be linked to; nil when the table is full (the lock then
    /// relies on staleness alone).
    static func register(privateFile: String, links: [String]) -> Int? {
        precondition(links.count < namesPerSlot)
        mutex.lock()
        defer { mutex.unlock() }
        if !installed {
            installed = true
            for signal in [SIGINT, SIGTERM, SIGHUP] { install(signal) }
        }
        guard let slot = (0..<capacity).first(where: { table[$0 * namesPerSlot] == nil }) else { return nil }
        for (i, name) in links.enumerated() { table[slot * namesPerSlot + 1 + i] = strdup(name) }
        table[slot * namesPerSlot] = strdup(privateFile)  // last: publishes the slot
        return slot
    }

    static func unregister(_ slot: Int) {
        mutex.lock()
        defer { mutex.unlock() }
        let names = (0..<namesPerSlot).map { table[slot * namesPerSlot + $0] }
        table[slot * namesPerSlot] = nil  // first: unpublishes the slot
        for i in 1..<namesPerSlot { table[slot * namesPerSlot + i] = nil }
        names.forEach { free($0) }
    }

    /// Removes the names of every slot that are hard links of its private file, then the private files.
    private static func removeHeldFiles() {
        for slot in 0..<capacity {
            guard let privateFile = table[slot * namesPerSlot] else { continue }
            var mine = stat()
            guard stat(privateFile, &mine) == 0 else { continue }
            for i in 1..<namesPerSlot {
                var other = stat()
                if let name = table[slot * namesPerSlot + i], stat(name, &other) == 0,
                    other.st_dev == mine.st_dev, other.st_ino == mine.st_ino
                {
                    unlink(name)
                }
            }
            unlink(privateFile)
        }
    }

    private static func install(_ signal: Int32) {
        var old = sigaction()
        guard sigaction(signal, nil, &old) == 0, old.__sigaction_handler.sa_handler == nil else { return }  // SIG_DFL only
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            LockCleanup.removeHeldFiles()
            var restore = sigaction()
            restore.__sigaction_handler.sa_handler = nil  // SIG_DFL
            sigaction(signal, &restore, nil)
            raise(signal)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(signal, &action, nil)
    }
}
