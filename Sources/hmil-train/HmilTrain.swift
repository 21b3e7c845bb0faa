import ArgumentParser
import Shared

@main
struct HmilTrain: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hmil-train", abstract: "hmil-train (being built).")

    func run() throws {
        ToolRunner.run("hmil-train") {
            throw ToolError("not built yet")
        }
    }
}
