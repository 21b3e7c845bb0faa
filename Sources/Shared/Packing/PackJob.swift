import Foundation

/// What `hmil-pack` does with a split plan: find every slide's feature file, pack each bag once into
/// `<out>/bags.hbag`, and return the plan as a dataset document (DESIGN §2.5).
///
/// Reading, decoding and compressing run on `jobs` threads; bags are appended in plan order by the
/// calling thread, and the workers stay at most `window` slides ahead of it, so memory holds about
/// `jobs` decoded bags plus `window` compressed ones, never the dataset. A re-run reuses the bags
/// whose source files are unchanged (see `PackManifest`): with nothing changed the pack is left
/// alone; otherwise unchanged bags are copied frame by frame, without recompressing.
public enum PackJob {
    public static let packName = "bags.hbag"
    public static let manifestName = "bags.manifest.json"
    public static let documentName = "dataset.json"

    public struct Options: Sendable {
        public var featureFolders: [String]
        public var outFolder: String
        public var dtype: StorageDType
        public var jobs: Int
        public var skipMissing: Bool
        public var keys: FeatureKeys
        public var level: Int
        public var quiet: Bool
        public var tool: String
        /// `--patch-size`: side of every patch in level-0 pixels (see `SlideGeometries`).
        public var patchSize: Double?
        /// `--patches`: a folder of CLAM or TRIDENT patch files giving each slide's patch size.
        public var patchFolder: String?

        public init(
            featureFolders: [String], outFolder: String, dtype: StorageDType = PackWriter.defaultDType,
            jobs: Int = ProcessInfo.processInfo.activeProcessorCount, skipMissing: Bool = false,
            keys: FeatureKeys = FeatureKeys(), level: Int = PackWriter.defaultCompressionLevel,
            quiet: Bool = false, tool: String = "hmil-pack", patchSize: Double? = nil, patchFolder: String? = nil
        ) {
            self.featureFolders = featureFolders
            self.outFolder = outFolder
            self.dtype = dtype
            self.jobs = jobs
            self.skipMissing = skipMissing
            self.keys = keys
            self.level = level
            self.quiet = quiet
            self.tool = tool
            self.patchSize = patchSize
            self.patchFolder = patchFolder
        }
    }

    /// What a run did, for the summary line and the benchmark.
    public struct Report: Sendable {
        /// Bags read from feature files and compressed.
        public var packed = 0
        /// Bags copied from the previous pack.
        public var reused = 0
        /// True when the previous pack was up to date and left as it was.
        public var unchanged = false
        /// Bytes of feature files read.
        public var inputBytes = 0
        public var packBytes: UInt64 = 0
    }

    public static func run(_ input: PipelineDocument, options: Options) throws -> (document: PipelineDocument, report: Report) {
        var document = input
        let packPath = options.outFolder + "/" + packName
        let manifestPath = options.outFolder + "/" + manifestName
        let locator = try FeatureLocator(folders: options.featureFolders)

        // 1. Find every slide's file; drop or fail on missing ones.
        var sources: [PackManifest.Source] = []
        var dropped: [DroppedSlide] = input.dropped ?? []
        for slide in input.slides {
            guard let path = locator.path(of: slide.slideID) else {
                let reason = "no feature file in " + options.featureFolders.joined(separator: ", ")
                guard options.skipMissing else {
                    throw ToolError(
                        "no feature file for slide \(slide.slideID)", at: options.featureFolders.joined(separator: ", "),
                        hint: "check --features, or pass --skip-missing to drop such slides")
                }
                if !options.quiet { StandardError.write("\(options.tool): warning: slide \(slide.slideID): \(reason); dropped\n") }
                dropped.append(DroppedSlide(slideID: slide.slideID, reason: reason))
                continue
            }
            sources.append(try PackManifest.source(slideID: slide.slideID, path: path))
        }
        guard !sources.isEmpty else { throw ToolError("no slide has a feature file", at: options.featureFolders.joined(separator: ", ")) }
        let droppedIDs = Set(dropped.map(\.slideID))
        document.slides.removeAll { droppedIDs.contains($0.slideID) }
        for i in document.folds.indices {
            document.folds[i].train.removeAll { droppedIDs.contains($0) }
            document.folds[i].val.removeAll { droppedIDs.contains($0) }
            document.folds[i].test.removeAll { droppedIDs.contains($0) }
        }
        document.dropped = dropped.isEmpty ? nil : dropped

        // 2. Where each slide's patches lie (attributes only: cheap, and needed for the header written first).
        let geometry = try SlideGeometries.resolve(sources, options: options)

        // 3. What the previous pack can give.
        let settings = PackSettings(
            dtype: options.dtype, level: options.level,
            featuresKey: options.keys.features, coordinatesKey: options.keys.coordinates)
        var previous: PackReader?
        var previousSources: [String: PackManifest.Source] = [:]
        if let manifest = PackManifest.load(manifestPath), manifest.settings == settings,
            let reader = try? PackReader(path: packPath), reader.fileSize == manifest.packSize
        {
            previous = reader
            for source in manifest.sources { previousSources[source.slideID] = source }
        }
        let reusable = sources.map { source in previous?.contains(source.slideID) == true && previousSources[source.slideID] == source }

        var report = Report()
        let instances: [String: Int]
        if let previous, reusable.allSatisfy({ $0 }), previous.slideIDs == sources.map(\.slideID),
            previous.header.geometry == geometry.pack
        {
            report.unchanged = true
            report.reused = sources.count
            instances = Dictionary(uniqueKeysWithValues: previous.entries.map { ($0.slideID, $0.instanceCount) })
            report.packBytes = previous.fileSize
            try finish(&document, packPath: packPath, header: previous.header, instances: instances, geometry: geometry)
            return (document, report)
        }

        // 4. Write a new pack (a new geometry alone rewrites the header and copies every bag frame as it is).
        try FileManager.default.createDirectory(atPath: options.outFolder, withIntermediateDirectories: true)
        let first: Bag? = reusable[0] ? nil : try FeatureFiles.read(sources[0].path, slideID: sources[0].slideID, keys: options.keys)
        let featureDim = first?.featureDim ?? previous!.featureDim
        let coordinates = first.map { CoordinatesKind($0.coordinates) } ?? previous!.coordinatesKind
        let writer = try PackWriter(
            path: packPath, featureDim: featureDim,
            options: .init(
                dtype: options.dtype, coordinates: coordinates, compressionLevel: options.level,
                tool: options.tool, geometry: geometry.pack))
        let previousFile = try previous.map { try PackFile(path: $0.path) }
        let progress = Progress(tool: options.tool, label: "packing", total: sources.count, unit: "slides", quiet: options.quiet)
        var counts: [String: Int] = [:]

        let pipeline = OrderedPipeline<PackItem>(count: sources.count, jobs: max(1, options.jobs), window: max(1, options.jobs) * 2 + 2) {
            i in
            let source = sources[i]
            if reusable[i], let previous, let previousFile, let entry = previous.entry(for: source.slideID) {
                return .frame(try previousFile.read(at: entry.offset, count: Int(entry.compressedSize)), entry)
            }
            // The features go from the (mapped) feature file through f16/bf16 conversion into zstd without
            // an intermediate [Float] where the format allows (FeatureFiles.withBag).
            let encode = { (bag: BagView) throws -> PackItem in
                guard bag.featureDim == featureDim else {
                    throw ToolError(
                        "feature dim \(bag.featureDim) differs from the \(featureDim) of the other slides",
                        at: "slide \(source.slideID), \(source.path)", hint: "pack features of one encoder together")
                }
                guard CoordinatesKind(bag.coordinates) == coordinates else {
                    throw ToolError(
                        "coordinates are \(CoordinatesKind(bag.coordinates).rawValue) but \(coordinates.rawValue) in the other slides",
                        at: "slide \(source.slideID), \(source.path)", hint: "pack files of one layout together")
                }
                return .encoded(try writer.encode(bag), inputBytes: source.size)
            }
            if i == 0, let first { return try first.withView(encode) }
            return try FeatureFiles.withBag(source.path, slideID: source.slideID, keys: options.keys, encode)
        }
        try pipeline.run { _, item in
            switch item {
            case .frame(let frame, let entry):
                try writer.appendFrame(frame, of: entry)
                counts[entry.slideID] = entry.instanceCount
                report.reused += 1
            case .encoded(let encoded, let bytes):
                try writer.append(encoded)
                counts[encoded.slideID] = encoded.instanceCount
                report.packed += 1
                report.inputBytes += bytes
            }
            progress.advance()
        }
        try writer.finish()
        progress.finish(note: "\(report.packed) packed, \(report.reused) reused")
        report.packBytes = writer.bytesWritten
        try PackManifest(settings: settings, packSize: writer.bytesWritten, sources: sources).save(manifestPath)
        try finish(&document, packPath: packPath, header: writer.header, instances: counts, geometry: geometry)
        return (document, report)
    }

    /// Fills the dataset part of the document.
    private static func finish(
        _ document: inout PipelineDocument, packPath: String, header: PackHeader, instances: [String: Int],
        geometry: SlideGeometries.Result
    ) throws {
        for i in document.slides.indices {
            document.slides[i].instances = instances[document.slides[i].slideID]
            document.slides[i].pack = 0
            document.slides[i].patchSize = geometry.perSlide[document.slides[i].slideID]?.patchSize
        }
        document.packs = [
            PackReference(
                path: packPath, bags: instances.count, featureDim: header.featureDim, dtype: header.dtype.rawValue,
                geometry: header.geometry)
        ]
        document.format = PipelineDocument.datasetFormat
        document.models = nil
    }
}

private enum PackItem {
    case frame([UInt8], PackIndexEntry)
    case encoded(EncodedBag, inputBytes: Int)
}
