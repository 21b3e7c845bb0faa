import ArgumentParser
import Foundation
import Shared

extension PredictionFiles.Level: ExpressibleByArgument {}
extension HeatmapNormalization: ExpressibleByArgument {}

extension AttentionRow: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "predicted": self = .predicted
        case "label": self = .label
        case "": return nil
        default: self = .column(argument)
        }
    }

    public var defaultValueDescription: String { name }
}

/// `hmil-heatmap RESULTS --slides DIR --out DIR`: each slide's attention from hmil-eval drawn on the slide itself.
@main
struct HmilHeatmap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hmil-heatmap",
        abstract: "Draws each slide's attention (hmil-eval --attention) on the slide, read through OpenSlide: <slide_id>.png in --out.",
        discussion: """
            Inputs: hmil-eval's results folder (attention/fold_<k>/<slide_id>.csv, the predictions, eval.json) or attention \
            CSVs; the dataset document (eval.json in the results folder, or --dataset) for the slides' patch geometry, which \
            hmil-pack keeps from the feature files (or --patch-size); and the folder of slides, found as <slide_id>.<ext> \
            for any format OpenSlide reads (svs, tif, ndpi, mrxs, scn, vms, bif, ...).

            Each picture is the slide at --size pixels on its longest side, read from the coarsest pyramid level that has \
            that many (or --slide-level), with each patch coloured by attention (jet, blended with --alpha), a colour bar \
            and a caption (slide, label, prediction, row, patches, level). Scores are percentile ranks by default, as \
            CLAM draws them: attention is a softmax whose few large values would otherwise take the whole colour scale. \
            A slide with attention in several folds is drawn from the fold that tested it. The summary \
            (hmil.heatmaps/1) goes to stdout and --out/heatmaps.json.

            Examples:
              hmil-heatmap results/ --slides slides/ --out heatmaps/
              hmil-heatmap results/ --slides slides/ --out heatmaps/ --row coarse:malignant --top-k 8 --geojson
              hmil-heatmap results/ --external --dataset new/dataset.json --slides new_slides/ --out heatmaps/
            """)

    @Argument(
        help: ArgumentHelp(
            "hmil-eval results folders (with --attention) or attention CSVs (…/fold_<k>/<slide_id>.csv).",
            valueName: "results"))
    var inputs: [String]

    @Option(help: ArgumentHelp("Folder of the slides, <slide_id>.<ext>.", valueName: "folder"))
    var slides: String

    @Option(help: ArgumentHelp("Output folder for <slide_id>.png (and .geojson, <slide_id>_top/) and heatmaps.json.", valueName: "folder"))
    var out: String

    @Option(
        help: ArgumentHelp(
            "The dataset document (hmil.dataset/1 or later) with the slides' patch geometry. (default: eval.json of the results folder)",
            valueName: "D.json"))
    var dataset: String?

    @Flag(help: "Draw the slides of hmil-eval --dataset (RESULTS/external/attention); give that dataset with --dataset.")
    var external = false

    @Option(help: "Draw only the attention of this fold's model. (default: the fold that tested the slide)")
    var fold: Int?

    @Option(
        help: ArgumentHelp(
            "Attention row: predicted (the predicted class's), label (the slide label's), or a column such as fine:DCIS, coarse:malignant, attention.",
            valueName: "row"))
    var row: AttentionRow = Self.defaults.row

    @Option(help: "Class level of --row predicted and --row label: fine or coarse.")
    var level: PredictionFiles.Level = Self.defaults.level

    @Option(
        help: ArgumentHelp(
            "Colour scores: rank (percentile rank, as CLAM), percentile (linear between the 1st and 99th percentile), raw (linear from 0 to the largest).",
            valueName: "rank|percentile|raw"))
    var normalize: HeatmapNormalization = Self.defaults.normalization

    @Option(help: "Share of colour over the slide in a patch's pixels, 0…1.")
    var alpha: Double = Self.defaults.alpha

    @Option(help: "Longest side of the map in pixels (slides smaller than this are enlarged).")
    var size: Int = Self.defaults.size

    @Option(help: "Pyramid level to read the slide from. (default: the coarsest with at least --size pixels)")
    var slideLevel: Int?

    @Option(help: "Also write level-0 crops of the N most attended patches into <slide_id>_top/ (attention and position in the name).")
    var topK: Int = Self.defaults.topK

    @Flag(
        help:
            "Also write <slide_id>.geojson: each patch as a polygon in level-0 pixels with its attention as a measurement (QuPath: File > Import objects)."
    )
    var geojson = false

    @Option(
        help: ArgumentHelp(
            "Side of every patch in level-0 pixels, for a dataset packed without one (it must agree with one that has).",
            valueName: "pixels"))
    var patchSize: Int?

    @Flag(help: "Go on without the slides that have no slide file or that OpenSlide cannot read (each gets a warning).")
    var skipMissing = false

    @Option(help: "Slides drawn at once; by default as many as the machine has cores.")
    var jobs: Int = Self.defaults.jobs

    @Flag(help: "No progress or warnings on stderr.")
    var quiet = false

    /// The defaults, written once in `HeatmapOptions`.
    static let defaults = HeatmapOptions(slidesFolder: "", outFolder: "")

    func validate() throws {
        guard (0...1).contains(alpha) else { throw ValidationError("--alpha must be between 0 and 1") }
        guard (16...PNGFile.maximumSide).contains(size) else {
            throw ValidationError("--size must be between 16 and \(PNGFile.maximumSide)")
        }
        guard slideLevel.map({ $0 >= 0 }) ?? true else { throw ValidationError("--slide-level must be 0 or more") }
        guard (0...1000).contains(topK) else { throw ValidationError("--top-k must be between 0 and 1000") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        if let patchSize, !(1...Int(PatchGeometry.maximumPatchSize)).contains(patchSize) {
            throw ValidationError("--patch-size must be between 1 and \(Int(PatchGeometry.maximumPatchSize)) level-0 pixels")
        }
        if external && dataset == nil { throw ValidationError("--external needs --dataset: the dataset document of the external slides") }
    }

    func run() throws {
        ToolRunner.run("hmil-heatmap") {
            let found = try HeatmapInputs.find(inputs, external: external)
            guard let documentPath = dataset ?? found.compactMap(\.results).first.map({ "\($0)/\(EvaluationOutput.documentName)" }) else {
                throw ToolError(
                    "no dataset document", at: inputs.joined(separator: ", "),
                    hint: "give --dataset, or a results folder with its eval.json")
            }
            let document = try DocumentIO.read(PipelineDocument.self, from: documentPath, what: "dataset document").document
            try document.require(PipelineDocument.datasetFormat, source: documentPath, producer: "hmil-pack")
            let chosen = try HeatmapInputs.choose(found, fold: fold, document: document)
            guard !chosen.isEmpty else {
                throw ToolError(
                    "no attention files\(fold.map { " of fold \($0)" } ?? "")", at: inputs.joined(separator: ", "),
                    hint: "run hmil-eval with --attention")
            }
            var options = HeatmapOptions(slidesFolder: slides, outFolder: out)
            options.row = row
            options.level = level
            options.normalization = normalize
            options.alpha = alpha
            options.size = size
            options.slideLevel = slideLevel
            options.topK = topK
            options.geoJSON = geojson
            options.patchSize = patchSize.map(Double.init)
            options.skipMissing = skipMissing
            options.jobs = jobs
            options.quiet = quiet
            let summary = try HeatmapJob.run(chosen, document: document, documentSource: documentPath, options: options)
            guard !summary.slides.isEmpty else { throw ToolError("no heatmap drawn: every slide was skipped", at: slides) }
            try DocumentIO.emit(summary, saveIn: out, as: HeatmapsDocument.fileName)
        }
    }
}
