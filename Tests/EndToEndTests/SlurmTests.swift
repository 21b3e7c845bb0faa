import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// The small demo study submitted to a real Slurm (a one-node cluster on this machine, started and stopped by
/// the test) through pipelines/slurm/submit.sh, with one training element cancelled half-way and submitted
/// again, ends with the results of a local make run: Tests/Slurm/slurm-e2e.sh, whose header lists the checks.
/// Skips only when Slurm or Fashion-MNIST is not installed (`make test` installs both) or without root.
final class SlurmTests: XCTestCase {
    /// The script waits at most 15 minutes for each of its three waits on the queue; past this, it is stopped.
    static let timeLimit: TimeInterval = 50 * 60

    func testTheDemoStudyOnSlurmEqualsALocalRunAfterACancelledFoldIsSubmittedAgain() throws {
        let missing = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "jq"].filter { !Self.onPath($0) }
        guard missing.isEmpty else {
            throw XCTSkip(
                "Slurm is not installed (missing \(missing.joined(separator: ", "))): Debian's slurmctld slurmd slurm-client munge; `make test` installs them (HMIL_SLURM=1 scripts/setup.sh)"
            )
        }
        guard getuid() == 0 else { throw XCTSkip("the local Slurm cluster's daemons run as root; run the tests as root") }
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") else {
            throw XCTSkip("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist; `make test` installs it)")
        }

        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-e2e-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let process = Process()
        process.executableURL = root.appendingPathComponent("Tests/Slurm/slurm-e2e.sh")
        var environment = ProcessInfo.processInfo.environment
        environment["BIN"] = Self.productsDirectory.path
        process.environment = environment
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let deadline = Date(timeIntervalSinceNow: Self.timeLimit)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 1) }
        if process.isRunning {
            process.terminate()  // SIGTERM: the script cancels its jobs and stops the cluster it started
            let grace = Date(timeIntervalSinceNow: 120)
            while process.isRunning && Date() < grace { Thread.sleep(forTimeInterval: 1) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, 0, "slurm-e2e.sh failed:\n" + String(text.suffix(6000)))
        XCTAssertTrue(text.contains("slurm-e2e: the Slurm study equals the local run"), String(text.suffix(3000)))
        // The script's own lines and the sacct listing, for the test log.
        var inListing = false
        for line in text.split(separator: "\n") {
            if line.hasPrefix("slurm-e2e:") { inListing = line.hasPrefix("slurm-e2e: sacct") }
            if line.hasPrefix("slurm-e2e:") || inListing { print(line) }
        }
    }

    static func onPath(_ command: String) -> Bool {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        return folders.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(command)") }
    }

    /// The folder holding the built executables (the test bundle sits beside them).
    static var productsDirectory: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }
}
