#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Removes the lock files this process holds when SIGINT, SIGTERM or SIGHUP ends it (Ctrl-C, Slurm's
/// scancel, a closed terminal), so that the next run does not have to recognise them as stale; then the
/// signal ends the process as it would have. A signal the process ignores (nohup's SIGHUP) stays ignored.
///
/// The handler may only make async-signal-safe calls: it walks a fixed table of C strings and unlinks
/// them. Registering and unregistering take a lock; the handler does not (a slot is written whole before
/// it is published, and a cleared slot is freed only after it is cleared).
enum LockCleanup {
    static let capacity = 64
    nonisolated(unsafe) private static let slots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let table = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        table.initialize(repeating: nil, count: capacity)
        return table
    }()
    private static let mutex = NSLock()
    nonisolated(unsafe) private static var installed = false

    /// Adds `path` to the files removed on a terminating signal; nil when the table is full (the lock
    /// then relies on staleness alone).
    static func register(_ path: String) -> Int? {
        mutex.lock()
        defer { mutex.unlock() }
        if !installed {
            installed = true
            for signal in [SIGINT, SIGTERM, SIGHUP] { install(signal) }
        }
        guard let slot = (0 ..< capacity).first(where: { slots[$0] == nil }) else { return nil }
        slots[slot] = strdup(path)
        return slot
    }

    static func unregister(_ slot: Int) {
        mutex.lock()
        defer { mutex.unlock() }
        let old = slots[slot]
        slots[slot] = nil
        free(old)
    }

    private static func install(_ signal: Int32) {
        var old = sigaction()
        guard sigaction(signal, nil, &old) == 0, old.__sigaction_handler.sa_handler == nil else { return }  // SIG_DFL only
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            for i in 0 ..< LockCleanup.capacity {
                if let path = LockCleanup.slots[i] { unlink(path) }
            }
            var restore = sigaction()
            restore.__sigaction_handler.sa_handler = nil    // SIG_DFL
            sigaction(signal, &restore, nil)
            raise(signal)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(signal, &action, nil)
    }
}
