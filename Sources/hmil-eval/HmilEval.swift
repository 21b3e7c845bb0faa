import ArgumentParser
import Shared

@main
struct HmilEval: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hmil-eval", abstract: "hmil-eval (being built).")

    func run() throws {
        ToolRunner.run("hmil-eval") {
            throw ToolError("not built yet")
        }
    }
}
