import ArgumentParser
import Foundation
import Shared

/// `hmil-split … | hmil-pack --features DIR --out WORK` packs every slide of the plan once and writes
/// the dataset document; `hmil-pack extract PACK SLIDE_ID` prints one bag as `.npy`.
@main
struct HmilPack: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "hmil-pack",
        abstract: "Pack each slide's features once into WORK/bags.hbag and write the dataset document (hmil.dataset/1).",
        subcommands: [Pack.self, Extract.self],
        defaultSubcommand: Pack.self)
}

struct Pack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Pack the slides of a split plan (read from PLAN or stdin); the default subcommand.",
        discussion: """
            Feature files are found by slide_id in each --features folder in order (also in CLAM's pt_files/ and \
            h5_files/ and TRIDENT's features_<encoder>/): .pt/.pth (torch.save, zip or legacy), .h5, .npy, .csv. \
            A re-run reuses bags whose files are unchanged (size and modification time). --out is locked while \
            packing (.hmil-lock, safe on NFS and Lustre): a second hmil-pack into it is refused, naming the \
            holder's host and pid; a lock left by a killed process is taken over with a warning.
            """)

    @Argument(help: "The split plan (hmil.split/1); stdin when omitted or '-'.")
    var plan: String?

    @Option(name: .customLong("features"), help: "Folder of feature files; repeat to search several in order.")
    var features: [String] = []

    @Option(help: "Output folder for bags.hbag, bags.manifest.json and dataset.json.")
    var out: String

    @Option(
        help: ArgumentHelp(
            "Storage dtype of features in the pack (compute is always f32).",
            discussion:
                "f32 stores the features exactly; f16 stores half the bytes at f16 precision (11 significant bits); bf16 likewise with 8 bits and f32's range."
        ))
    var dtype: StorageDType = PackWriter.defaultDType

    @Option(help: "Threads that read and compress. (default: every core)")
    var jobs: Int?

    @Flag(help: "Drop slides without a feature file (listed under 'dropped') instead of failing.")
    var skipMissing = false

    @Option(help: "Name of the features inside .pt dicts and .h5 files (default: features, then feats).")
    var featuresKey: String?

    @Option(help: "Name of the coordinates inside .pt dicts and .h5 files (default: coords).")
    var coordsKey: String?

    @Option(
        help: ArgumentHelp(
            "Side of every patch in level-0 pixels, for heatmaps (CLAM's feature files do not say it).",
            discussion:
                "Kept in the pack header and the dataset document with the patch geometry the feature files carry (TRIDENT's coords attributes, STAMP's root attributes); a source that disagrees is an error.",
            valueName: "pixels"))
    var patchSize: Int?

    @Option(
        help: ArgumentHelp(
            "Folder of patch files giving each slide's patch size: CLAM's create_patches_fp.py output (<slide_id>.h5 or patches/<slide_id>.h5, patch_size × downsample) or TRIDENT's (<slide_id>_patches.h5).",
            valueName: "folder"))
    var patches: String?

    @Option(
        help: ArgumentHelp(
            "zstd compression level.",
            discussion:
                "The default is zstd's fastest level: feature mantissas are close to random, so higher levels barely shrink the pack and take several times as long; negative (fast) levels lose ratio (Benchmarks/RESULTS.md)."
        ))
    var level: Int = PackWriter.defaultCompressionLevel

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func validate() throws {
        guard !features.isEmpty else { throw ValidationError("give at least one --features folder") }
        guard jobs.map({ $0 >= 1 }) ?? true else { throw ValidationError("--jobs must be at least 1") }
        if let patchSize, !(1...Int(PatchGeometry.maximumPatchSize)).contains(patchSize) {
            throw ValidationError("--patch-size must be between 1 and \(Int(PatchGeometry.maximumPatchSize)) level-0 pixels")
        }
    }

    func run() throws {
        ToolRunner.run("hmil-pack") {
            let (document, source) = try DocumentIO.read(PipelineDocument.self, from: plan, what: "split plan")
            try document.require(PipelineDocument.splitFormat, source: source, producer: "hmil-split")
            var options = PackJob.Options(
                featureFolders: features, outFolder: out, dtype: dtype, skipMissing: skipMissing,
                keys: FeatureKeys(features: featuresKey, coordinates: coordsKey),
                level: level, quiet: quiet, patchSize: patchSize.map(Double.init), patchFolder: patches)
            if let jobs { options.jobs = jobs }
            // One hmil-pack per --out folder, also across the nodes of a cluster.
            let lock = try FolderLock(folder: out, tool: "hmil-pack", warn: { if !quiet { StandardError.write($0 + "\n") } })
            defer { lock.release() }
            let (dataset, report) = try PackJob.run(document, options: options)
            if !quiet, report.unchanged {
                StandardError.write("hmil-pack: \(out)/\(PackJob.packName) is up to date (\(report.reused) bags)\n")
            }
            try DocumentIO.emit(dataset, saveIn: out, as: PackJob.documentName)
        }
    }
}

extension StorageDType: ExpressibleByArgument {}

struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one bag's features from a pack to stdout as a float32 .npy (N×D).")

    @Argument(help: "The pack (.hbag).")
    var pack: String

    @Argument(help: "The slide id of the bag.")
    var slideID: String

    func run() throws {
        ToolRunner.run("hmil-pack") {
            let bag = try PackReader(path: pack).readBag(slideID)
            try StandardOutput.write(Data(NumpyFile.encode(bag)))
        }
    }
}
