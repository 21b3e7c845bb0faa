import Foundation
import Shared
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// FolderLock's rules (see its documentation): a held lock refuses with the holder's host and pid; a lock
/// whose holder is certainly gone (dead pid or restarted host here, no heartbeat elsewhere) is taken over
/// with a message; releasing removes only one's own lock; of concurrent takers exactly one wins.
final class FolderLockTests: XCTestCase {
    var folder = ""
    var lockPath: String { folder + "/" + FolderLock.fileName }

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "folder-lock-\(UUID().uuidString)/fold_0"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: (folder as NSString).deletingLastPathComponent)
    }

    /// Writes a lock file as `holder` would have, `age` seconds old.
    func plant(_ holder: LockHolder, age: TimeInterval = 0) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try holder.line.write(to: URL(fileURLWithPath: lockPath), options: .atomic)
        let then = Date(timeIntervalSinceNow: -age)
        try FileManager.default.setAttributes([.modificationDate: then], ofItemAtPath: lockPath)
    }

    func holder(
        host: String = LockHolder.hostName, pid: Int32, bootID: String = LockHolder.bootID,
        startTicks: UInt64? = nil
    ) -> LockHolder {
        LockHolder(
            host: host, pid: pid, bootID: bootID, startTicks: startTicks, tool: "hmil-train",
            token: "planted", since: "2025-01-01T00:00:00Z")
    }

    /// The pid of a process that has ended.
    func deadPid() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    func refusal(_ body: () throws -> Void) -> String {
        do {
            try body()
            XCTFail("the lock was taken")
            return ""
        } catch {
            return ToolError.describe(error)
        }
    }

    func folderFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    /// What a folder holds while locked: the lock and its holder's private file.
    func held(by locks: [FolderLock]) -> [String] {
        ([FolderLock.fileName] + locks.map { ($0.privatePath as NSString).lastPathComponent }).sorted()
    }

    // MARK: - Held

    func testAHeldLockRefusesASecondTakerNamingHostAndPid() throws {
        let first = try FolderLock(folder: folder, tool: "hmil-train")
        let message = refusal { _ = try FolderLock(folder: folder, tool: "hmil-train") }
        XCTAssertTrue(
            message.hasPrefix("\(folder) is in use by hmil-train on host \(LockHolder.hostName), pid \(getpid()), since "), message)
        XCTAssertTrue(message.contains("(\(lockPath))"), message)
        XCTAssertFalse(message.contains("\n"))
        XCTAssertEqual(try folderFiles(), held(by: [first]), "the refused taker leaves nothing behind")
        first.release()
        XCTAssertEqual(try folderFiles(), [])
    }

    func testALockOfALiveProcessOnAnotherHostIsHeldUntilItsHeartbeatStops() throws {
        try plant(holder(host: "node-elsewhere", pid: 4242, bootID: "other-boot"), age: 60)
        let message = refusal { _ = try FolderLock(folder: folder, tool: "hmil-train", staleAfter: 600) }
        XCTAssertTrue(message.contains("in use by hmil-train on host node-elsewhere, pid 4242"), message)

        try plant(holder(host: "node-elsewhere", pid: 4242, bootID: "other-boot"), age: 3600)
        var warnings: [String] = []
        let lock = try FolderLock(folder: folder, tool: "hmil-train", staleAfter: 600, warn: { warnings.append($0) })
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(
            warnings[0].hasPrefix(
                "hmil-train: warning: taking over the lock of \(folder) from hmil-train on host node-elsewhere, pid 4242"), warnings[0])
        let age = warnings[0].range(of: #"no heartbeat for \d+ s"#, options: .regularExpression)
            .flatMap { Int(warnings[0][$0].split(separator: " ")[3]) }
        XCTAssertTrue((3590...3700).contains(age ?? 0), warnings[0])
        XCTAssertEqual(LockHolder.parse(try Data(contentsOf: URL(fileURLWithPath: lockPath)))?.token, lock.holder.token)
        lock.release()
    }

    // MARK: - Stale on this host

    func testALockOfADeadProcessIsTakenOverWithAMessage() throws {
        let pid = try deadPid()
        try plant(holder(pid: pid))
        var warnings: [String] = []
        let lock = try FolderLock(folder: folder, tool: "hmil-train", warn: { warnings.append($0) })
        XCTAssertEqual(
            warnings,
            [
                "hmil-train: warning: taking over the lock of \(folder) from hmil-train on host \(LockHolder.hostName), pid \(pid), since 2025-01-01T00:00:00Z: that process is no longer running (\(lockPath))"
            ])
        let now = try XCTUnwrap(LockHolder.parse(try Data(contentsOf: URL(fileURLWithPath: lockPath))))
        XCTAssertEqual(now, lock.holder)
        XCTAssertEqual(now.pid, getpid())
        XCTAssertEqual(try folderFiles(), held(by: [lock]))
        lock.release()
        XCTAssertEqual(try folderFiles(), [])
    }

    func testAReusedPidOrARestartedHostMakesALockStale() throws {
        // Our own pid, but a start time that is not ours: the holder died and the pid went to us.
        let ours = try XCTUnwrap(LockHolder.startTicks(of: getpid()))
        try plant(holder(pid: getpid(), startTicks: ours + 1))
        var warnings: [String] = []
        var lock = try FolderLock(folder: folder, tool: "hmil-train", warn: { warnings.append($0) })
        XCTAssertTrue(warnings.last?.contains("pid \(getpid()) is now another process") == true, "\(warnings)")
        lock.release()

        try plant(holder(pid: getpid(), bootID: "an-earlier-boot"))
        lock = try FolderLock(folder: folder, tool: "hmil-train", warn: { warnings.append($0) })
        XCTAssertTrue(warnings.last?.contains("host \(LockHolder.hostName) has restarted since") == true, "\(warnings)")
        lock.release()
        XCTAssertEqual(warnings.count, 2)
    }

    func testAnUnreadableLockIsHeldUntilOld() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data("not json".utf8).write(to: URL(fileURLWithPath: lockPath))
        let message = refusal { _ = try FolderLock(folder: folder, tool: "hmil-pack", staleAfter: 600) }
        XCTAssertTrue(message.contains("is in use by an unreadable lock"), message)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: lockPath)
        var warnings: [String] = []
        let lock = try FolderLock(folder: folder, tool: "hmil-pack", staleAfter: 600, warn: { warnings.append($0) })
        XCTAssertTrue(warnings.first?.contains("untouched for 7") == true, "\(warnings)")
        lock.release()
    }

    // MARK: - Release and heartbeat

    func testReleaseRemovesOnlyOurOwnLockAndDeinitReleases() throws {
        do {
            let lock = try FolderLock(folder: folder, tool: "hmil-train")
            XCTAssertEqual(try folderFiles(), held(by: [lock]))
            withExtendedLifetime(lock) {}
        }
        XCTAssertEqual(try folderFiles(), [], "deinit releases")

        let lock = try FolderLock(folder: folder, tool: "hmil-train", lost: { _ in })
        try plant(holder(host: "node-elsewhere", pid: 7, bootID: "b"))  // someone replaced it meanwhile
        lock.release()
        lock.release()
        XCTAssertEqual(LockHolder.parse(try Data(contentsOf: URL(fileURLWithPath: lockPath)))?.host, "node-elsewhere")
    }

    func testTheHeartbeatKeepsTheLockFreshAndNoticesATakeover() throws {
        let lost = expectation(description: "lost")
        let lostTo = LockedBox<LockHolder?>(nil)
        let lock = try FolderLock(
            folder: folder, tool: "hmil-train", heartbeat: 0.05,
            lost: { found in
                lostTo.value = found
                lost.fulfill()
            })
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: lockPath)
        let deadline = Date(timeIntervalSinceNow: 10)
        var age = 3600.0
        while age > 60 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            let attributes = try FileManager.default.attributesOfItem(atPath: lockPath)
            age = -((attributes[.modificationDate] as? Date) ?? .distantPast).timeIntervalSinceNow
        }
        XCTAssertLessThan(age, 60, "the heartbeat touches the lock")

        try plant(holder(host: "node-elsewhere", pid: 9, bootID: "b"))
        wait(for: [lost], timeout: 10)
        XCTAssertEqual(lostTo.value?.host, "node-elsewhere")
        lock.release()
    }

    // MARK: - Concurrent takers

    func testOfConcurrentTakersExactlyOneWins() throws {
        for round in 0..<20 {
            let winners = LockedBox<[FolderLock]>([])
            let refusals = LockedBox(0)
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                do {
                    let lock = try FolderLock(folder: folder, tool: "hmil-train")
                    winners.update { $0.append(lock) }
                } catch {
                    if ToolError.describe(error).contains("is in use by hmil-train on host") { refusals.update { $0 += 1 } }
                }
            }
            XCTAssertEqual(winners.value.count, 1, "round \(round)")
            XCTAssertEqual(refusals.value, 7, "round \(round)")
            XCTAssertEqual(try folderFiles(), held(by: winners.value), "round \(round): no loser's file is left")
            winners.value.forEach { $0.release() }
            XCTAssertEqual(try folderFiles(), [], "round \(round)")
        }
    }

    func testOfConcurrentTakersOfAStaleLockExactlyOneWinsAndOneSaysSo() throws {
        let pid = try deadPid()
        for round in 0..<20 {
            try plant(holder(pid: pid))
            let winners = LockedBox<[FolderLock]>([])
            let warnings = LockedBox<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                if let lock = try? FolderLock(folder: folder, tool: "hmil-train", warn: { w in warnings.update { $0.append(w) } }) {
                    winners.update { $0.append(lock) }
                }
            }
            XCTAssertEqual(winners.value.count, 1, "round \(round)")
            XCTAssertEqual(warnings.value.count, 1, "round \(round): \(warnings.value)")
            XCTAssertEqual(try folderFiles(), held(by: winners.value), "round \(round)")
            winners.value.forEach { $0.release() }
        }
        XCTAssertEqual(try folderFiles(), [])
    }
}

/// A value shared between threads of a test.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get {
            lock.lock()
            defer { lock.unlock() }
            return stored
        }
        set {
            lock.lock()
            stored = newValue
            lock.unlock()
        }
    }
    func update(_ change: (inout Value) -> Void) {
        lock.lock()
        change(&stored)
        lock.unlock()
    }
}
