import ArgumentParser
import Shared

@main
struct HmilSplit: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hmil-split", abstract: "hmil-split (being built).")

    func run() throws {
        ToolRunner.run("hmil-split") {
            throw ToolError("not built yet")
        }
    }
}
