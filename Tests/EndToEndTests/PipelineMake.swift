import Foundation
import TestSupport

/// Runs pipelines/Makefile with the tools of this build (`BIN`) and `arguments`.
func runMake(_ arguments: [String]) throws -> ToolRun {
    let makefile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("pipelines/Makefile")
    return try ToolProcess.run(URL(fileURLWithPath: "/usr/bin/make"), ["-f", makefile.path, "BIN=" + BuiltTool.directory.path] + arguments)
}
