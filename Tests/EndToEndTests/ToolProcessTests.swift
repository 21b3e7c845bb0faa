import Foundation
import TestSupport
import XCTest

/// The one harness every end-to-end test runs processes through (Tests/TestSupport).
final class ToolProcessTests: XCTestCase {
    let shell = URL(fileURLWithPath: "/bin/sh")

    /// Both pipes far past their 64 KiB buffers: reading one and then the other would stall.
    func testFullPipesOnBothStreamsDoNotStall() throws {
        let run = try ToolProcess.run(shell, ["-c", "head -c 300000 /dev/zero >&2; head -c 200000 /dev/zero; exit 3"], timeout: 60)
        XCTAssertEqual(run.status, 3)
        XCTAssertEqual(run.reason, .exit)
        XCTAssertEqual(run.stdout.count, 200_000)
        XCTAssertEqual(run.stderr.utf8.count, 300_000)
    }

    func testStdinFromBytesAndFromAFile() throws {
        let bytes = Data((0..<100_000).map { UInt8($0 % 251) })
        XCTAssertEqual(try ToolProcess.run(URL(fileURLWithPath: "/bin/cat"), [], stdin: .data(bytes)).stdout, bytes)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tool-process-\(UUID().uuidString)")
        try bytes.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        XCTAssertEqual(try ToolProcess.run(URL(fileURLWithPath: "/bin/cat"), [], stdin: .file(file.path)).stdout, bytes)
        XCTAssertEqual(try ToolProcess.run(URL(fileURLWithPath: "/bin/cat"), []).stdout, Data(), "no stdin: end of file at once")
    }

    func testAHungProcessIsKilledAtTheTimeout() throws {
        let started = Date()
        XCTAssertThrowsError(try ToolProcess.run(shell, ["-c", "exec sleep 60"], timeout: 0.5)) { error in
            XCTAssertTrue(error is ToolTimeout, "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
    }

    func testAMissingToolIsNamed() {
        XCTAssertThrowsError(try BuiltTool.url("hmil-no-such-tool")) { error in
            XCTAssertTrue("\(error)".contains("hmil-no-such-tool"), "\(error)")
        }
    }
}
