import Foundation

/// Which attention row a heatmap draws: the row of the predicted class (the default), of the slide's label,
/// or a column named as in the attention file (`fine:DCIS`, `coarse:malignant`, `attention`). The flat ABMIL
/// model has one row, `attention`, drawn whatever is asked for by class.
public enum AttentionRow: Equatable, Sendable {
    case predicted, label
    case column(String)

    public var name: String {
        switch self {
        case .predicted: return "predicted"
        case .label: return "label"
        case .column(let name): return name
        }
    }
}

/// What hmil-heatmap does, and how (each option's default is here, written once).
public struct HeatmapOptions: Sendable {
    public var slidesFolder: String
    public var outFolder: String
    public var row: AttentionRow = .predicted
    /// The class level `predicted` and `label` refer to.
    public var level: PredictionFiles.Level = .fine
    public var normalization: HeatmapNormalization = .rank
    /// Share of the colour in a coloured pixel; the slide shows through the rest.
    public var alpha = 0.5
    /// Longest side of the map in pixels.
    public var size = 2048
    /// The pyramid level to read; nil: the coarsest with at least `size` pixels.
    public var slideLevel: Int?
    public var topK = 0
    public var geoJSON = false
    /// Level-0 pixels, for datasets packed without a patch geometry.
    public var patchSize: Double?
    /// Go on when a slide has no slide file or OpenSlide cannot read it.
    public var skipMissing = false
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    public var quiet = false
    public var tool = "hmil-heatmap"

    public init(slidesFolder: String, outFolder: String) {
        self.slidesFolder = slidesFolder
        self.outFolder = outFolder
    }
}

/// The summary hmil-heatmap prints and saves as `heatmaps.json` (`hmil.heatmaps/1`).
public struct HeatmapsDocument: Codable, Equatable, Sendable {
    public static let format = "hmil.heatmaps/1"
    public static let fileName = "heatmaps.json"

    public var format = HeatmapsDocument.format
    public var slides: [HeatmapRecord]
    /// Slides left out with `--skip-missing`, and why.
    public var skipped: [DroppedSlide]?
}

extension HeatmapsDocument: PathCarrying {
    /// The pictures, GeoJSON files and crops drawn.
    public func mappingPaths(_ change: (String) -> String) -> HeatmapsDocument {
        var document = self
        document.slides = slides.map {
            var record = $0
            record.png = change(record.png)
            record.geojson = record.geojson.map(change)
            record.topPatches = record.topPatches?.map(change)
            return record
        }
        return document
    }
}

/// One drawn slide.
public struct HeatmapRecord: Codable, Equatable, Sendable {
    public var slideID: String
    public var fold: Int
    /// "test", "val", "external"; nil when unknown.
    public var part: String?
    public var label: String?
    public var predicted: String?
    /// The attention column drawn.
    public var row: String
    public var normalization: HeatmapNormalization
    public var patches: Int
    public var slideLevel: Int
    public var mapWidth: Int
    public var mapHeight: Int
    public var png: String
    public var geojson: String?
    public var topPatches: [String]?

    enum CodingKeys: String, CodingKey {
        case slideID = "slide_id"
        case fold, part, label, predicted, row, normalization, patches
        case slideLevel = "slide_level"
        case
            mapWidth = "map_width"
        case mapHeight = "map_height"
        case png, geojson
        case topPatches = "top_patches"
    }
}

/// A slide that cannot be drawn because its slide file is missing or unreadable: with `--skip-missing` the
/// other slides go on.
struct SlideUnavailable: Error {
    var error: ToolError
}

/// hmil-heatmap's work: one picture per slide (see `draw`), slides drawn on `jobs` threads; the summary lists
/// them in slide-id order whatever the scheduling.
public enum HeatmapJob {
    public static func run(
        _ sources: [AttentionSource], document: PipelineDocument, documentSource: String,
        options: HeatmapOptions
    ) throws -> HeatmapsDocument {
        let predictions = try PredictedClasses.load(sources, document: document, level: options.level)
        try FileManager.default.createDirectory(atPath: options.outFolder, withIntermediateDirectories: true)
        let progress = Progress(tool: options.tool, label: "drawing", total: sources.count, unit: "slides", quiet: options.quiet)
        var results = [Result<HeatmapRecord, Error>?](repeating: nil, count: sources.count)
        let lock = NSLock()
        var next = 0
        var failed = false
        DispatchQueue.concurrentPerform(iterations: max(1, min(options.jobs, sources.count))) { _ in
            while true {
                lock.lock()
                let i = next
                next += 1
                let stop = failed
                lock.unlock()
                guard i < sources.count, !stop else { return }
                let result = Result {
                    try draw(
                        sources[i], document: document, documentSource: documentSource,
                        prediction: predictions[sources[i].slideID], options: options)
                }
                lock.lock()
                results[i] = result
                if case .failure(let error) = result, !(options.skipMissing && error is SlideUnavailable) { failed = true }
                progress.advance(note: sources[i].slideID)
                lock.unlock()
            }
        }
        var drawn: [HeatmapRecord] = []
        var skipped: [DroppedSlide] = []
        for (i, result) in results.enumerated() {
            switch result {
            case .success(let record)?: drawn.append(record)
            case .failure(let unavailable as SlideUnavailable)? where options.skipMissing:
                if !options.quiet { StandardError.write("\(options.tool): warning: \(unavailable.error); skipped\n") }
                skipped.append(DroppedSlide(slideID: sources[i].slideID, reason: unavailable.error.what))
            case .failure(let unavailable as SlideUnavailable)?: throw unavailable.error
            case .failure(let error)?: throw error
            case nil: continue  // not started after an earlier failure
            }
        }
        progress.finish(note: "\(drawn.count) drawn" + (skipped.isEmpty ? "" : ", \(skipped.count) skipped") + " → \(options.outFolder)")
        return HeatmapsDocument(slides: drawn, skipped: skipped.isEmpty ? nil : skipped)
    }

    /// Draws one slide: its attention row, normalised, over its picture, with the caption; and the GeoJSON and
    /// top patches when asked for.
    public static func draw(
        _ source: AttentionSource, document: PipelineDocument, documentSource: String,
        prediction: SlidePrediction?, options: HeatmapOptions
    ) throws -> HeatmapRecord {
        try AttentionCSV.checkFileName(source.slideID)
        let table = try AttentionTable.read(source.path)
        let geometry = try SlidePlacement.geometry(of: source.slideID, in: document, source: documentSource, patchSize: options.patchSize)
        let slide = document.slides.first { $0.slideID == source.slideID }!
        if let n = slide.instances, n != table.instanceCount {
            throw ToolError(
                "the attention file has \(table.instanceCount) instances but the slide's bag has \(n)", at: source.path,
                hint: "give the dataset document the attention was computed from")
        }
        guard let x = table.x, let y = table.y else {
            throw ToolError(
                "the attention file has no coordinates (the pack has none)", at: source.path,
                hint: "pack feature files with coords to draw heatmaps")
        }
        let column = try chooseColumn(
            options.row, table: table, level: options.level, slide: slide,
            hierarchy: document.hierarchy, prediction: prediction, source: source)
        let attention = table.column(column)!

        guard let path = try SlideFile.locate(slideID: source.slideID, in: options.slidesFolder) else {
            throw SlideUnavailable(
                error: ToolError(
                    "no slide file for slide \(source.slideID)", at: options.slidesFolder,
                    hint:
                        "slides are found as <slide_id>.<ext> (\(SlideFile.extensions.joined(separator: ", "))); --skip-missing goes on without them"
                ))
        }
        let file: SlideFile
        do {
            file = try SlideFile(path: path, slideID: source.slideID)
        } catch let error as ToolError {
            throw SlideUnavailable(error: error)
        }
        let patches = try SlidePlacement.rectangles(x: x, y: y, geometry: geometry, slide: file)
        let (width, height) = SlideThumbnail.size(longest: options.size, slideWidth: file.width, slideHeight: file.height)
        let level = options.slideLevel ?? SlideThumbnail.level(width: width, height: height, of: file)
        guard level < file.levels.count else {
            throw ToolError(
                "--slide-level \(level) but the slide has \(file.levels.count) level(s), 0…\(file.levels.count - 1)",
                at: "slide \(source.slideID), \(path)")
        }
        let base = try SlideThumbnail.read(file, level: level, width: width, height: height)
        let (scores, low, high) = options.normalization.scores(attention)
        let map = HeatmapRenderer.overlay(
            base, patches: patches, scores: scores, slideWidth: file.width, slideHeight: file.height,
            alpha: options.alpha)
        let part = prediction?.part ?? PredictedClasses.part(of: source, document: document)
        let legend = caption(
            slide: slide, hierarchy: document.hierarchy, source: source, part: part, prediction: prediction, column: column,
            geometry: geometry, patches: patches.count, file: file, level: level, options: options, low: low, high: high)
        let png = options.outFolder + "/" + source.slideID + ".png"
        // libpng's fast setting: on a 2048-pixel map, encoding is most of the time otherwise, for files only
        // somewhat larger (hmil-bench heatmap measures both).
        try PNGFile.write(HeatmapRenderer.picture(map: map, legend: legend), to: png, fast: true)

        var record = HeatmapRecord(
            slideID: source.slideID, fold: source.fold, part: part,
            label: slide.isLabelled ? slide.label : nil, predicted: prediction?.className, row: column,
            normalization: options.normalization, patches: patches.count, slideLevel: level,
            mapWidth: width, mapHeight: height, png: png)
        if options.geoJSON {
            record.geojson = options.outFolder + "/" + source.slideID + ".geojson"
            let text = HeatmapExtras.geoJSON(
                patches, attention: attention, scores: scores, row: column, normalization: options.normalization)
            try AtomicFile.write(Data(text.utf8), to: record.geojson!)
        }
        if options.topK > 0 {
            let folder = options.outFolder + "/" + source.slideID + "_top"
            try? FileManager.default.removeItem(atPath: folder)  // crops of an earlier run would mix in
            record.topPatches = try HeatmapExtras.writeTopPatches(
                HeatmapExtras.topPatches(attention, patches: patches, k: options.topK),
                patches: patches, slide: file, folder: folder)
        }
        return record
    }

    static func chooseColumn(
        _ row: AttentionRow, table: AttentionTable, level: PredictionFiles.Level, slide: SlideRecord,
        hierarchy: Hierarchy, prediction: SlidePrediction?, source: AttentionSource
    ) throws -> String {
        let flat = table.columns == ["attention"]
        let className: String
        switch row {
        case .column(let name):
            guard table.columns.contains(name) else {
                throw ToolError(
                    "no attention column '\(name)'", at: source.path,
                    hint: "columns: \(table.columns.joined(separator: ", "))")
            }
            return name
        case _ where flat:
            return "attention"
        case .label:
            guard slide.isLabelled else {
                throw ToolError(
                    "slide \(source.slideID) has no label to choose its attention row", at: source.path,
                    hint: "use --row predicted or --row <column>")
            }
            className = level == .fine ? slide.label : (hierarchy.parent[slide.label] ?? slide.label)
        case .predicted:
            guard let prediction else {
                let where_ = source.results.map {
                    "\($0)/\(source.external ? "external" : "<part>")/\(level.rawValue)/fold_\(source.fold).csv"
                }
                throw ToolError(
                    "no prediction for slide \(source.slideID) at the \(level.rawValue) level", at: where_ ?? source.path,
                    hint: "give hmil-eval's results folder, or choose the row with --row label or --row <column>")
            }
            className = prediction.className
        }
        let name = "\(level.rawValue):\(className)"
        guard table.columns.contains(name) else {
            throw ToolError("no attention column '\(name)'", at: source.path, hint: "columns: \(table.columns.joined(separator: ", "))")
        }
        return name
    }

    static func caption(
        slide: SlideRecord, hierarchy: Hierarchy, source: AttentionSource, part: String?, prediction: SlidePrediction?, column: String,
        geometry: PatchGeometry, patches: Int, file: SlideFile, level: Int, options: HeatmapOptions,
        low: Double, high: Double
    ) -> HeatmapLegend {
        var first = slide.slideID
        if slide.isLabelled { first += " · label \(slide.label)" + (hierarchy.parent[slide.label].map { " (\($0))" } ?? "") }
        if let prediction {
            first += " · predicted \(prediction.className) " + String(format: "%.2f", prediction.probability)
        }
        let second = "fold \(source.fold)\(part.map { " " + $0 } ?? "") · row \(column) · \(options.normalization.rawValue)"
        let downsample = file.levels[level].downsample
        let third =
            "\(patches) patches of \(PatchGeometry.number(geometry.patchSize)) \(geometry.unit.symbol) · level \(level) of "
            + "\(file.levels.count) (\(PatchGeometry.number((downsample * 100).rounded() / 100))×)"
        let labels = options.normalization.barLabels(low: low, high: high)
        return HeatmapLegend(lines: [first, second, third], barTitle: labels.title, barLeft: labels.left, barRight: labels.right)
    }
}
