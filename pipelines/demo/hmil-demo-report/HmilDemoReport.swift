import ArgumentParser
import Foundation
import Shared

/// The demo's results table and pictures from finished runs: hmil-eval's metrics of each run, including —
/// as the demo knows which garments decide a bag — how well each run's attention finds them (hmil-eval
/// `--instance-labels`), and a picture of that attention on a few test bags.
@main
struct HmilDemoReport: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "hmil-demo-report",
        abstract: "The demo's results table (both levels, key-garment AUC of the attention) and a picture of test bags.",
        discussion: """
            Each RUN is a folder holding hmil-eval's eval.json (made with --instance-labels) and results/ (with \
            --attention), as pipelines/Makefile makes runs/<run>/. Prints the table on stdout and writes into --out: \
            results.txt, results.md (the same table in Markdown), results.json (its numbers) and bags.svg (a few test bags with the \
            attention of every run, key garments marked).
            """)

    @Argument(help: "Run folders (runs/<run>), in the order of the table's rows.")
    var runs: [String]

    @Option(help: "The builder's instance_labels.csv (which garments are key), for the picture.")
    var instances: String

    @Option(help: "Folder for results.txt, results.md, results.json and bags.svg.")
    var out: String

    @Option(help: "Test bags in the picture: the first of each class with key garments.")
    var pictures: Int = 6

    func run() throws {
        ToolRunner.run("hmil-demo-report") {
            guard !runs.isEmpty else { throw ToolError("no run folders given", hint: "e.g. hmil-demo-report runs/hmil runs/abmil ...") }
            let instances = try InstanceLabels.read(path: self.instances)
            let results = try runs.map { try RunResults(folder: $0) }
            let normal = normalClasses(run: results[0], instances: instances)
            let table = ResultsTable(runs: results)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try AtomicFile.write(Data(table.text.utf8), to: out + "/results.txt")
            try AtomicFile.write(Data(table.markdown.utf8), to: out + "/results.md")
            try AtomicFile.write(DocumentIO.encode(table.numbers), to: out + "/results.json")
            let bags = BagPicture.chooseBags(run: results[0], normalClasses: normal, count: pictures)
            if !bags.isEmpty {
                let svg = try BagPicture(runs: results, instances: instances).svg(slideIDs: bags)
                try AtomicFile.write(Data(svg.utf8), to: out + "/bags.svg")
            }
            try StandardOutput.write(Data(table.text.utf8))
        }
    }

    /// Fine classes none of whose bags holds a key garment (the demo's `normal`).
    private func normalClasses(run: RunResults, instances: InstanceLabels) -> Set<String> {
        var withKeys = Set<String>()
        for slide in run.document.slides where (instances.keyCount(of: slide.slideID) ?? 0) > 0 {
            withKeys.insert(slide.label)
        }
        return Set(run.document.hierarchy.fine).subtracting(withKeys)
    }
}
