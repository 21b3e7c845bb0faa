import ArgumentParser
import Foundation
import Shared

/// Builds the demo's hierarchical MIL task from Fashion-MNIST: bags of garment photographs, mostly
/// background, whose few key garments decide a fine label under a coarse one (see DemoTask, BagPlan
/// and DemoDataWriter, and the README's "The demo data").
@main
struct HmilDemoData: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "hmil-demo-data",
        abstract: "Build the demo's bags (CLAM-layout HDF5 features, labels.csv, hierarchy.json, instance labels) from Fashion-MNIST.",
        discussion: """
            Reads the four raw (gunzipped) IDX files of Fashion-MNIST from --images and writes into --out: \
            h5_files/<slide_id>.h5, labels.csv, hierarchy.json and instance_labels.csv. The same task, seed \
            and options give byte-identical files.

            Tasks: garments (3 coarse, 7 fine classes; 32–96 garments a bag, 5–20 % key) and lesions \
            (3 coarse, 9 fine classes, four under each abnormal coarse class; 100–300 garments a bag, \
            1–5 % key, like small lesions on a slide). Key images are never used twice. In garments no \
            image is used twice; in lesions a background image (a trouser or dress, which carries no \
            label) may appear in several bags, never twice in one, as its 14 000 background images \
            cannot fill its large bags otherwise.
            """)

    @Option(
        help:
            "Folder with the raw IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte."
    )
    var images: String

    @Option(help: "Folder to write the data set into (created if missing).")
    var out: String

    @Option(help: "Task: garments or lesions.")
    var task: DemoTaskName = .garments

    @Option(help: "Bags of each fine class. \(HmilDemoData.defaults { "\($0.bagsPerClass)" })")
    var bagsPerClass: Int?

    @Flag(
        help:
            "The tiny version for CI (overrides --bags-per-class): \(DemoTaskName.allCases.map { "\(DemoTask.named($0).smallBagsPerClass) bags per class for \($0)" }.joined(separator: ", "))."
    )
    var small = false

    @Option(help: "Fewest garments in a bag. \(HmilDemoData.defaults { "\($0.instances.lowerBound)" })")
    var minInstances: Int?

    @Option(help: "Most garments in a bag. \(HmilDemoData.defaults { "\($0.instances.upperBound)" })")
    var maxInstances: Int?

    @Option(help: "Smallest share of key garments in a bag that is not 'normal'. \(HmilDemoData.defaults { "\($0.keyShare.lowerBound)" })")
    var minKeyShare: Double?

    @Option(help: "Largest share of key garments in a bag that is not 'normal'. \(HmilDemoData.defaults { "\($0.keyShare.upperBound)" })")
    var maxKeyShare: Double?

    @Option(help: "Most slides of one case (patient); cases hold 1…this many bags of one class.")
    var maxSlidesPerCase: Int = DemoSettings().maxSlidesPerCase

    @Option(help: "Seed of every random draw.")
    var seed: UInt64 = DemoSettings().seed

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func run() throws {
        ToolRunner.run("hmil-demo-data") {
            let task = DemoTask.named(self.task)
            let settings = try makeSettings(task)
            let start = Date()
            let fashion = try FashionMNIST(folder: images)
            let plan = try BagPlan(task: task, settings: settings, images: fashion)
            let progress = Shared.Progress(
                tool: "hmil-demo-data", label: "writing bags", total: plan.bags.count,
                unit: "bags", quiet: quiet, lineInterval: 2)
            try DemoDataWriter(folder: out, images: fashion).write(plan, progress: progress)
            progress.finish(
                note: "\(plan.instanceCount) garments, \(plan.keyCount) key, \(task.name) seed \(settings.seed) → \(out)"
                    + String(format: " (%.1fs in all)", Date().timeIntervalSince(start)))
        }
    }

    /// "(default: 60 for garments, 40 for lesions)": an option's default in each task, written once (DemoTask).
    private static func defaults(_ value: (DemoSettings) -> String) -> String {
        "(default: " + DemoTaskName.allCases.map { "\(value(DemoTask.named($0).defaults)) for \($0)" }.joined(separator: ", ") + ")"
    }

    private func makeSettings(_ task: DemoTask) throws -> DemoSettings {
        var settings = task.defaults
        settings.bagsPerClass = small ? task.smallBagsPerClass : bagsPerClass ?? settings.bagsPerClass
        let fewest = minInstances ?? settings.instances.lowerBound
        let most = maxInstances ?? settings.instances.upperBound
        guard fewest <= most else {
            throw ToolError("--min-instances \(fewest) is above --max-instances \(most)")
        }
        let lowShare = minKeyShare ?? settings.keyShare.lowerBound
        let highShare = maxKeyShare ?? settings.keyShare.upperBound
        guard lowShare <= highShare else {
            throw ToolError("--min-key-share \(lowShare) is above --max-key-share \(highShare)")
        }
        settings.instances = fewest...most
        settings.keyShare = lowShare...highShare
        settings.maxSlidesPerCase = maxSlidesPerCase
        settings.seed = seed
        try settings.validate()
        return settings
    }
}
