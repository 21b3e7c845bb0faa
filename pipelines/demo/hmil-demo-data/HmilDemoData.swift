import ArgumentParser
import Foundation
import Shared

/// Builds the demo's hierarchical MIL task from Fashion-MNIST: bags of garment photographs, mostly
/// background, whose few key garments decide a fine label under a coarse one (see DemoTask, BagPlan
/// and DemoDataWriter, and the README's "The demo data").
@main
struct HmilDemoData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hmil-demo-data",
        abstract: "Build the demo's bags (CLAM-layout HDF5 features, labels.csv, hierarchy.json, instance labels) from Fashion-MNIST.",
        discussion: """
            Reads the four raw (gunzipped) IDX files of Fashion-MNIST from --images and writes into --out:
            h5_files/<slide_id>.h5, labels.csv, hierarchy.json and instance_labels.csv. The same seed and
            options give byte-identical files.
            """)

    @Option(help: "Folder with the raw IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte.")
    var images: String

    @Option(help: "Folder to write the data set into (created if missing).")
    var out: String

    @Option(help: "Bags of each of the 7 fine classes.")
    var bagsPerClass: Int = DemoSettings().bagsPerClass

    @Flag(help: "The tiny version for CI: \(DemoSettings.smallBagsPerClass) bags per class (overrides --bags-per-class).")
    var small = false

    @Option(help: "Fewest garments in a bag.")
    var minInstances: Int = DemoSettings().instances.lowerBound

    @Option(help: "Most garments in a bag.")
    var maxInstances: Int = DemoSettings().instances.upperBound

    @Option(help: "Smallest share of key garments in a bag that is not 'normal'.")
    var minKeyShare: Double = DemoSettings().keyShare.lowerBound

    @Option(help: "Largest share of key garments in a bag that is not 'normal'.")
    var maxKeyShare: Double = DemoSettings().keyShare.upperBound

    @Option(help: "Most slides of one case (patient); cases hold 1…this many bags of one class.")
    var maxSlidesPerCase: Int = DemoSettings().maxSlidesPerCase

    @Option(help: "Seed of every random draw.")
    var seed: UInt64 = DemoSettings().seed

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func run() throws {
        ToolRunner.run("hmil-demo-data") {
            let settings = try makeSettings()
            let start = Date()
            let fashion = try FashionMNIST(folder: images)
            let plan = try BagPlan(settings: settings, images: fashion)
            let progress = Shared.Progress(tool: "hmil-demo-data", label: "writing bags", total: plan.bags.count,
                                    unit: "bags", quiet: quiet, lineInterval: 2)
            try DemoDataWriter(folder: out, images: fashion).write(plan, progress: progress)
            progress.finish(note: "\(plan.instanceCount) garments, \(plan.keyCount) key, seed \(settings.seed) → \(out)"
                            + String(format: " (%.1fs in all)", Date().timeIntervalSince(start)))
        }
    }

    private func makeSettings() throws -> DemoSettings {
        guard minInstances <= maxInstances else {
            throw ToolError("--min-instances \(minInstances) is above --max-instances \(maxInstances)")
        }
        guard minKeyShare <= maxKeyShare else {
            throw ToolError("--min-key-share \(minKeyShare) is above --max-key-share \(maxKeyShare)")
        }
        var settings = DemoSettings()
        settings.bagsPerClass = small ? DemoSettings.smallBagsPerClass : bagsPerClass
        settings.instances = minInstances ... maxInstances
        settings.keyShare = minKeyShare ... maxKeyShare
        settings.maxSlidesPerCase = maxSlidesPerCase
        settings.seed = seed
        try settings.validate()
        return settings
    }
}
