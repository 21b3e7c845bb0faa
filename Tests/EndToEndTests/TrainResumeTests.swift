import Foundation
import Shared
import TestSupport
import XCTest

/// A run killed with SIGKILL at a random moment and restarted with --resume ends with the same
/// checkpoint bytes and the same history (all but the wall-clock seconds) as an uninterrupted run.
final class TrainResumeTests: XCTestCase {
    var h: TrainHarness!

    override func setUpWithError() throws { h = try TrainHarness("resume") }
    override func tearDownWithError() throws { h.remove() }

    let arguments = [
        "--epochs", "8", "--batch-size", "6", "--lr", "1e-3", "--threads", "2", "--seed", "3",
        "--max-instances", "60"
    ]

    /// History records without `seconds`, as comparable dictionaries.
    func comparableHistory(_ out: String) throws -> [NSDictionary] {
        try h.history(out).map { record in
            var r = record
            r["seconds"] = nil
            return r as NSDictionary
        }
    }

    func testKillAtARandomMomentThenResumeMatchesAnUninterruptedRun() throws {
        _ = try h.plantedDataset(perClass: 6, valPerClass: 2)
        let started = Date()
        let whole = try h.train(h.path("dataset.json"), out: "whole", arguments)
        let duration = Date().timeIntervalSince(started)
        XCTAssertEqual(whole.status, 0, whole.stderr)

        var killedMidRun = 0
        var random = SystemRandomNumberGenerator()
        for attempt in 0..<3 {
            let out = "killed\(attempt)"
            let delay = Double.random(in: 0.1...0.9, using: &random) * duration
            let process = try h.start([h.path("dataset.json"), "--out", h.path(out), "--quiet"] + arguments)
            Thread.sleep(forTimeInterval: delay)
            if process.isRunning {
                process.kill(SIGKILL)
                let run = try process.wait()
                if run.status == SIGKILL && run.reason == .uncaughtSignal { killedMidRun += 1 }
            } else {
                _ = try process.wait()
            }
            let completed = try h.history(out).count
            let before = try TrainingState.load(from: h.path("\(out)/fold_0"))
            let spentBefore = before?.cpuSeconds ?? 0
            let resumed = try h.train(h.path("dataset.json"), out: out, arguments + ["--resume"])
            XCTAssertEqual(resumed.status, 0, "killed after \(delay) s (\(completed) epochs done): \(resumed.stderr)")
            XCTAssertEqual(
                h.data("\(out)/fold_0/best.safetensors"), h.data("whole/fold_0/best.safetensors"),
                "killed after \(String(format: "%.2f", delay)) s, \(completed) epochs done")
            XCTAssertEqual(h.data("\(out)/fold_0/epoch-7.safetensors"), h.data("whole/fold_0/epoch-7.safetensors"))
            XCTAssertEqual(try comparableHistory(out), try comparableHistory("whole"))
            XCTAssertEqual(
                try TrainHarness.models(resumed).models?.first?.bestEpoch,
                try TrainHarness.models(whole).models?.first?.bestEpoch)
            // The CPU time of the epochs done before the kill is kept and the resumed run's added to it
            // (none when the kill came after the last epoch was committed: the resumed run trains nothing).
            let spent = try XCTUnwrap(TrainHarness.models(resumed).models?.first?.cpuSeconds)
            if before?.finished == true { XCTAssertEqual(spent, spentBefore) } else { XCTAssertGreaterThan(spent, spentBefore) }
            // Nothing half-written is left under a final name, and old epochs' files are gone.
            let files = try FileManager.default.contentsOfDirectory(atPath: h.path("\(out)/fold_0")).sorted()
            XCTAssertEqual(
                files,
                [
                    "best.safetensors", "epoch-7.optimizer.safetensors", "epoch-7.safetensors",
                    "history.csv", "history.jsonl", "state.json"
                ])
        }
        XCTAssertGreaterThan(killedMidRun, 0, "no attempt was killed while running (run took \(duration) s)")
    }

    func testCPUSecondsAreRecordedAndAFinishedRunResumedAddsNone() throws {
        _ = try h.plantedDataset(perClass: 2, valPerClass: 1)
        let options = ["--epochs", "3", "--threads", "1"]
        let first = try h.train(h.path("dataset.json"), out: "work", options)
        XCTAssertEqual(first.status, 0, first.stderr)
        let spent = try XCTUnwrap(TrainHarness.models(first).models?.first?.cpuSeconds)
        XCTAssertGreaterThan(spent, 0)
        XCTAssertEqual(try TrainingState.load(from: h.path("work/fold_0"))?.cpuSeconds, spent)
        let again = try h.train(h.path("dataset.json"), out: "work", options + ["--resume"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try TrainHarness.models(again).models?.first?.cpuSeconds, spent, "nothing left to train, nothing added")
    }

    func testResumeWithOtherOptionsIsRefused() throws {
        _ = try h.plantedDataset(perClass: 2, valPerClass: 1)
        let first = try h.train(h.path("dataset.json"), out: "work", ["--epochs", "2", "--threads", "1"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let second = try h.train(h.path("dataset.json"), out: "work", ["--epochs", "3", "--threads", "1", "--resume"])
        XCTAssertNotEqual(second.status, 0)
        XCTAssertEqual(second.errorLines.count, 1, second.stderr)
        XCTAssertTrue(second.stderr.hasPrefix("hmil-train: error: the run in this folder used other options"), second.stderr)
    }
}
