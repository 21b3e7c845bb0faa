import ArgumentParser
import Shared

@main
struct HmilPack: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hmil-pack", abstract: "hmil-pack (being built).")

    func run() throws {
        ToolRunner.run("hmil-pack") {
            throw ToolError("not built yet")
        }
    }
}
