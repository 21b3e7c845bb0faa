import Foundation
import Shared
import TestSupport
import XCTest

/// Every tool answers a bad flag as it answers bad input (ToolCommand, DESIGN §1): one line on stderr,
/// `hmil-x: error: … — see hmil-x --help`, nothing on stdout, exit status 1. The required arguments are
/// given, so the flag is what the tool objects to.
final class UsageErrorTests: XCTestCase {
    func assertOneLineUsageError(_ tool: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try BuiltTool.run(tool, arguments + ["--no-such-flag"])
        XCTAssertEqual(run.status, ToolError.failureExitCode, run.stderr, file: file, line: line)
        XCTAssertEqual(run.reason, .exit, file: file, line: line)
        XCTAssertEqual(run.stdout, Data(), file: file, line: line)
        XCTAssertEqual(run.stderr, "\(tool): error: Unknown option '--no-such-flag' — see \(tool) --help\n", file: file, line: line)
    }

    func testSplit() throws { try assertOneLineUsageError("hmil-split", ["labels.csv", "--hierarchy", "h.json"]) }
    func testPack() throws { try assertOneLineUsageError("hmil-pack", ["--features", "feats", "--out", "work"]) }
    func testPackExtract() throws { try assertOneLineUsageError("hmil-pack", ["extract", "bags.hbag", "slide"]) }
    func testTrain() throws { try assertOneLineUsageError("hmil-train", ["--out", "work"]) }
    func testEval() throws { try assertOneLineUsageError("hmil-eval", []) }
    func testDemoData() throws { try assertOneLineUsageError("hmil-demo-data", ["--images", "idx", "--out", "demo"]) }
    func testDemoReport() throws { try assertOneLineUsageError("hmil-demo-report", ["run", "--instances", "i.csv", "--out", "report"]) }
    func testStudy() throws { try assertOneLineUsageError("hmil-study", ["work", "--runs", "a", "--seeds", "1"]) }

    func testHelpIsStillArgumentParsersAndSucceeds() throws {
        for tool in ["hmil-split", "hmil-pack", "hmil-train", "hmil-eval", "hmil-demo-data", "hmil-demo-report", "hmil-study"] {
            let run = try BuiltTool.run(tool, ["--help"])
            XCTAssertEqual(run.status, 0, "\(tool): \(run.stderr)")
            XCTAssertTrue(run.output.contains("USAGE: \(tool)"), "\(tool): \(run.output)")
        }
    }
}
