import ArgumentParser
import Foundation
import Shared

/// `hmil-bench heatmap`: one slide with 100 000 patches drawn as hmil-heatmap draws it — the attention CSV
/// read, the slide opened through OpenSlide, its picture read from the pyramid, the patches coloured, the legend
/// drawn, the PNG encoded and written — timed end to end (wall and CPU), with the stages beside it. The slide is
/// a JPEG-compressed tiled pyramidal TIFF of noise (vips, as a scanner's SVS: 256-pixel JPEG tiles), made once.
struct HeatmapBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heatmap",
        abstract: "hmil-heatmap on one slide of 100 000 patches, end to end and by stage.")

    @Option(help: "Patches on the slide (a square grid).")
    var patches = 100_000
    @Option(help: "Side of a patch in level-0 pixels.")
    var patchSize = 32
    @Option(help: "Longest side of the map in pixels (hmil-heatmap --size).")
    var size = HeatmapOptions(slidesFolder: "", outFolder: "").size
    @Option(help: "Timed repetitions.")
    var repeats = 3
    @Option(help: "Scratch folder, kept between runs so the slide is made once (default: a temporary folder, removed afterwards).")
    var folder: String?

    func run() throws {
        let root = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("hmil-bench-heatmap-\(getpid())").path
        defer { if folder == nil { try? FileManager.default.removeItem(atPath: root) } }
        let slides = root + "/slides"
        let attention = root + "/results/attention/fold_0"
        try FileManager.default.createDirectory(atPath: slides, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: attention, withIntermediateDirectories: true)

        let columns = Int(Double(patches).squareRoot().rounded(.up))
        let rows = (patches + columns - 1) / columns
        let (width, height) = (columns * patchSize, rows * patchSize)
        let slide = "\(slides)/big.tif"
        if !FileManager.default.fileExists(atPath: slide) {
            let start = Date()
            try Self.makeSlide(slide, width: width, height: height, scratch: root)
            print(
                String(
                    format: "heatmap: made a %d×%d slide in %.1f s (vips, not timed below)", width, height, Date().timeIntervalSince(start))
            )
        }

        // Attention as hmil-eval writes it: HMIL's 3 coarse + 7 fine rows, a softmax each, with a few hot spots.
        let fine = ["N", "PB", "UDH", "FEA", "ADH", "DCIS", "IC"]
        let coarse = ["benign", "atypical", "malignant"]
        let hierarchy = Hierarchy(
            coarse: coarse, fine: fine,
            parent: [
                "N": "benign", "PB": "benign", "UDH": "benign", "FEA": "atypical",
                "ADH": "atypical", "DCIS": "malignant", "IC": "malignant"
            ])
        var rng = SeededGenerator(seed: 7)
        var text = "instance,x,y," + (coarse.map { "coarse:" + $0 } + fine.map { "fine:" + $0 }).joined(separator: ",") + "\n"
        text.reserveCapacity(patches * 130)
        var logits = [Double](repeating: 0, count: patches)
        var rows10 = [[Float]](repeating: [], count: coarse.count + fine.count)
        for r in rows10.indices {
            for i in 0..<patches { logits[i] = rng.nextNormal() * 2 }
            let top = logits.max()!
            let weights = logits.map { exp($0 - top) }
            let total = weights.reduce(0, +)
            rows10[r] = weights.map { Float($0 / total) }
        }
        for i in 0..<patches {
            text += "\(i),\(i % columns * patchSize),\(i / columns * patchSize)"
            for r in rows10.indices { text += "," + rows10[r][i].description }
            text += "\n"
        }
        let csv = attention + "/big.csv"
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
        var document = PipelineDocument(
            format: PipelineDocument.datasetFormat, hierarchy: hierarchy, scheme: "kfold", seed: 1,
            slides: [SlideRecord(slideID: "big", caseID: "big", label: "DCIS", instances: patches, pack: 0)],
            folds: [FoldRecord(fold: 0, train: [], val: [], test: ["big"])])
        document.packs = [
            PackReference(
                path: "bags.hbag", bags: 1, featureDim: 1024, dtype: "f16",
                geometry: PackGeometry(unit: .pixels, patchSize: Double(patchSize), source: "bench"))
        ]
        var options = HeatmapOptions(slidesFolder: slides, outFolder: root + "/heatmaps")
        options.row = .label
        options.size = size
        options.quiet = true
        let source = AttentionSource(slideID: "big", fold: 0, path: csv, results: root + "/results", external: false)

        var walls: [Double] = []
        var cpus: [Double] = []
        var record: HeatmapRecord?
        for _ in 0..<max(1, repeats) {
            let cpu = PackToolBench.processCPUSeconds()
            let start = Date()
            record = try HeatmapJob.draw(source, document: document, documentSource: "bench", prediction: nil, options: options)
            walls.append(Date().timeIntervalSince(start))
            cpus.append(PackToolBench.processCPUSeconds() - cpu)
        }
        let bytes = (try? FeatureFileBytes.fileSize(record!.png)) ?? 0
        print(
            String(
                format: "heatmap: %d patches of %d px on a %d×%d slide, map %d×%d from level %d, %.1f MB attention CSV, %.1f MB PNG",
                patches, patchSize, width, height, record!.mapWidth, record!.mapHeight, record!.slideLevel,
                Double(text.utf8.count) / 1e6, Double(bytes) / 1e6))
        print(
            String(
                format: "  hmil-heatmap, one slide   best %.2f s wall, mean %.2f s (%.2f CPU-s) over %d runs",
                walls.min()!, walls.reduce(0, +) / Double(walls.count), cpus.reduce(0, +) / Double(cpus.count), walls.count))

        // Stages, once each: where the time goes.
        func stage(_ name: String, _ body: () throws -> Void) rethrows {
            let start = Date()
            try body()
            print(
                "  " + name.padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: "%.3f s", Date().timeIntervalSince(start)))
        }
        var table: AttentionTable!
        try stage("read attention CSV") { table = try AttentionTable.read(csv) }
        let file = try SlideFile(path: slide, slideID: "big")
        let (w, h) = SlideThumbnail.size(longest: size, slideWidth: file.width, slideHeight: file.height)
        let level = SlideThumbnail.level(width: w, height: h, of: file)
        var base: Raster!
        try stage("read level \(level), shrink") { base = try SlideThumbnail.read(file, level: level, width: w, height: h) }
        let values = table.column("fine:DCIS")!
        var scores: [Float] = []
        stage("rank normalisation") { scores = HeatmapNormalization.rank.scores(values).scores }
        let rectangles = PatchRectangles(x: table.x!, y: table.y!, width: Double(patchSize), height: Double(patchSize))
        var map: Raster!
        stage("colour the patches") {
            map = HeatmapRenderer.overlay(
                base, patches: rectangles, scores: scores, slideWidth: file.width, slideHeight: file.height, alpha: 0.5)
        }
        var sizes: [Int] = []
        try stage("encode the PNG (fast)") { sizes.append(try PNGFile.encode(map, fast: true).count) }
        try stage("encode the PNG, default") { sizes.append(try PNGFile.encode(map).count) }
        print(
            String(
                format: "  (PNG %.1f MB fast, as hmil-heatmap writes it; %.1f MB at libpng's default)", Double(sizes[0]) / 1e6,
                Double(sizes[1]) / 1e6))
        stage("GeoJSON (--geojson)") {
            _ = HeatmapExtras.geoJSON(rectangles, attention: values, scores: scores, row: "fine:DCIS", normalization: .rank)
        }
    }

    /// Noise around a pale pink, in 256-pixel JPEG tiles with a pyramid and 0.25 µm per pixel (a 40× scan).
    static func makeSlide(_ path: String, width: Int, height: Int, scratch: String) throws {
        let noise = scratch + "/noise.v"
        let bands = scratch + "/bands.v"
        defer { for f in [noise, bands] { try? FileManager.default.removeItem(atPath: f) } }
        try vips(["gaussnoise", noise, String(width), String(height), "--mean", "200", "--sigma", "25"])
        try vips(["linear", noise, bands, "1 0.8 0.95", "0 0 0", "--uchar"])
        try vips([
            "tiffsave", bands, path, "--tile", "--pyramid", "--tile-width", "256", "--tile-height", "256",
            "--compression", "jpeg", "--Q", "85", "--xres", "4000", "--yres", "4000"
        ])
    }

    static func vips(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["vips"] + arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolError(
                "vips \(arguments.first ?? "") failed (status \(process.terminationStatus))", hint: "install Debian's libvips-tools")
        }
    }
}
