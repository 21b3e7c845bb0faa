import Foundation
import Shared
import TestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// The work-folder lock in the built tools, across processes: a held fold folder or --out refuses a second
/// hmil-train or hmil-pack with one line naming the holder's host and pid; of two hmil-train started at once on
/// one fold exactly one trains; SIGTERM (scancel) removes the lock; a lock left by SIGKILL is taken over with a
/// warning by the next run, which then finishes.
final class FolderLockToolTests: XCTestCase {
    var h: TrainHarness!

    override func setUpWithError() throws { h = try TrainHarness("lock") }
    override func tearDownWithError() throws { h.remove() }

    let arguments = ["--epochs", "40", "--batch-size", "4", "--threads", "1", "--seed", "2"]
    var lockPath: String { h.path("work/fold_0/" + FolderLock.fileName) }

    /// Waits up to 60 s for `condition`.
    func waitFor(_ what: String, _ condition: () -> Bool) {
        let deadline = Date(timeIntervalSinceNow: 60)
        while !condition() && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertTrue(condition(), "waited 60 s for \(what)")
    }

    func testAHeldFoldFolderRefusesHmilTrainNamingTheHolder() throws {
        _ = try h.plantedDataset(perClass: 2, valPerClass: 1)
        let held = try FolderLock(folder: h.path("work/fold_0"), tool: "hmil-test")
        let refused = try h.train(h.path("dataset.json"), out: "work", ["--epochs", "1", "--threads", "1"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(
            refused.errorLines,
            [
                "hmil-train: error: \(h.path("work/fold_0")) is in use by hmil-test on host \(LockHolder.hostName), pid \(getpid()), since \(held.holder.since) (\(lockPath)) — wait for it to finish or stop it; a lock left by a killed process is taken over by the next run"
            ])
        held.release()
        let trained = try h.train(h.path("dataset.json"), out: "work", ["--epochs", "1", "--threads", "1"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: lockPath), "released on exit")
    }

    func testOfTwoHmilTrainOnOneFoldExactlyOneTrains() throws {
        _ = try h.plantedDataset(perClass: 6, valPerClass: 2)
        let first = try h.start([h.path("dataset.json"), "--out", h.path("work"), "--quiet"] + arguments)
        let second = try h.start([h.path("dataset.json"), "--out", h.path("work"), "--quiet"] + arguments)
        let runs = [try first.wait(), try second.wait()]
        let pids = [first.processIdentifier, second.processIdentifier]
        XCTAssertEqual(runs.map(\.status).sorted(), [0, 1], runs.map(\.stderr).joined(separator: "\n"))
        guard let loser = runs.firstIndex(where: { $0.status == 1 }) else { return }
        XCTAssertEqual(runs[loser].errorLines.count, 1, runs[loser].stderr)
        XCTAssertTrue(
            runs[loser].stderr.contains("is in use by hmil-train on host \(LockHolder.hostName), pid \(pids[1 - loser]),"),
            runs[loser].stderr)
        XCTAssertEqual(try TrainHarness.models(runs[1 - loser]).models?.first?.fold, 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: h.path("work/fold_0"))
        XCTAssertFalse(files.contains { $0.hasPrefix(FolderLock.fileName) }, "\(files)")
    }

    func testSigtermRemovesTheLockAndALockLeftBySigkillIsTakenOver() throws {
        _ = try h.plantedDataset(perClass: 6, valPerClass: 2)
        let terminated = try h.start([h.path("dataset.json"), "--out", h.path("work"), "--quiet"] + arguments)
        waitFor("the lock") { FileManager.default.fileExists(atPath: lockPath) }
        kill(terminated.processIdentifier, SIGTERM)
        XCTAssertEqual(try terminated.wait().reason, .uncaughtSignal)
        XCTAssertFalse(FileManager.default.fileExists(atPath: lockPath), "SIGTERM removes the lock")

        let killed = try h.start([h.path("dataset.json"), "--out", h.path("work"), "--quiet", "--resume"] + arguments)
        waitFor("the lock") { FileManager.default.fileExists(atPath: lockPath) }
        kill(killed.processIdentifier, SIGKILL)
        _ = try killed.wait()
        XCTAssertTrue(FileManager.default.fileExists(atPath: lockPath), "SIGKILL leaves the lock")

        let resumed = try h.start([h.path("dataset.json"), "--out", h.path("work"), "--resume"] + arguments).wait()
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let prefix =
            "hmil-train: warning: taking over the lock of \(h.path("work/fold_0")) from hmil-train on host \(LockHolder.hostName), pid \(killed.processIdentifier), since "
        let suffix = ": that process is no longer running (\(lockPath))"
        XCTAssertTrue(resumed.errorLines.contains { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) }, resumed.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: h.path("work/fold_0"))
        XCTAssertFalse(files.contains { $0.hasPrefix(FolderLock.fileName) }, "\(files)")
    }

    func testAHeldOutFolderRefusesHmilPack() throws {
        let features = h.path("feats")
        try FileManager.default.createDirectory(atPath: features, withIntermediateDirectories: true)
        let bag = Bag(slideID: "s1", instanceCount: 2, featureDim: 3, features: [1, 2, 3, 4, 5, 6])
        try Data(NumpyFile.encode(bag)).write(to: URL(fileURLWithPath: features + "/s1.npy"))
        let hierarchy = Hierarchy(coarse: ["a"], fine: ["x"], parent: ["x": "a"])
        let plan = PipelineDocument(
            format: PipelineDocument.splitFormat, hierarchy: hierarchy, scheme: "kfold", seed: 1,
            slides: [SlideRecord(slideID: "s1", caseID: "s1", label: "x")],
            folds: [FoldRecord(fold: 0, train: ["s1"], val: [], test: [])])
        try h.save(plan, as: "plan.json")
        let out = h.path("pack")
        let held = try FolderLock(folder: out, tool: "hmil-test")
        let refused = try runPack([h.path("plan.json"), "--features", features, "--out", out, "--quiet"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(
            refused.stderr.hasPrefix("hmil-pack: error: \(out) is in use by hmil-test on host \(LockHolder.hostName), pid \(getpid()),"),
            refused.stderr)
        XCTAssertEqual(refused.stderr.filter { $0 == "\n" }.count, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/" + PackJob.packName))
        held.release()
        let packed = try runPack([h.path("plan.json"), "--features", features, "--out", out, "--quiet"])
        XCTAssertEqual(packed.status, 0, packed.stderr)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: out).sorted(),
            [PackJob.manifestName, PackJob.packName, PackJob.documentName].sorted(), "no lock is left")
    }

    func runPack(_ arguments: [String]) throws -> ToolRun {
        try BuiltTool.run("hmil-pack", arguments)
    }
}
