/// The JSON document that flows through the pipeline (DESIGN §2.3–2.7). Each tool reads the whole
/// document of the step before, adds its part and writes the whole document on, so every later step
/// has the full context. `format` says how far it has come:
///
/// - `hmil.split/1`   (hmil-split): hierarchy, slides, folds
/// - `hmil.dataset/1` (hmil-pack):  + packs, per-slide instance counts and pack index, dropped slides
/// - `hmil.models/1`  (hmil-train): + models
/// - `hmil.eval/1`    (hmil-eval):  + evaluation
public struct PipelineDocument: Codable, Equatable, Sendable {
    public static let splitFormat = "hmil.split/1"
    public static let datasetFormat = "hmil.dataset/1"
    public static let modelsFormat = "hmil.models/1"
    public static let evalFormat = "hmil.eval/1"

    public var format: String
    public var hierarchy: Hierarchy
    /// How the folds were made: "kfold", "clam", "clam-import", "hmil-import".
    public var scheme: String
    public var seed: UInt64?
    public var slides: [SlideRecord]
    public var folds: [FoldRecord]
    /// Added by hmil-pack.
    public var packs: [PackReference]?
    /// Slides hmil-pack dropped with `--skip-missing`, and why.
    public var dropped: [DroppedSlide]?
    /// Added by hmil-train.
    public var models: [ModelRecord]?
    /// Added by hmil-eval (EvaluationReport.swift).
    public var evaluation: EvaluationReport?

    public init(
        format: String, hierarchy: Hierarchy, scheme: String, seed: UInt64?,
        slides: [SlideRecord], folds: [FoldRecord]
    ) {
        self.format = format
        self.hierarchy = hierarchy
        self.scheme = scheme
        self.seed = seed
        self.slides = slides
        self.folds = folds
    }

    /// The stages in order; a tool accepts any document at or past the stage it needs.
    public static let stages = [splitFormat, datasetFormat, modelsFormat, evalFormat]

    /// Throws unless the document has reached `format` (e.g. hmil-train needs a dataset).
    public func require(_ needed: String, source: String, producer: String) throws {
        guard let have = Self.stages.firstIndex(of: format) else {
            throw ToolError(
                "unknown document format '\(format)'", at: source,
                hint: "expected one of \(Self.stages.joined(separator: ", "))")
        }
        guard let need = Self.stages.firstIndex(of: needed), have >= need else {
            throw ToolError(
                "document is '\(format)' but this step needs '\(needed)'", at: source,
                hint: "run \(producer) first")
        }
    }
}

/// One slide (bag) and its fine label; `instances`, `pack` and `patch_size` are filled by hmil-pack.
/// An unlabelled slide (external data predicted by hmil-eval `--dataset`) has `label` "" — written
/// so, or left out, or null in the JSON; training needs every slide labelled and says so.
public struct SlideRecord: Codable, Equatable, Sendable {
    public var slideID: String
    public var caseID: String
    public var label: String
    public var instances: Int?
    /// Index into `packs` of the pack holding this slide's bag.
    public var pack: Int?
    /// Side of this slide's patches in its pack's `geometry.unit` (level-0 pixels or µm), when known.
    public var patchSize: Double?

    public init(
        slideID: String, caseID: String, label: String, instances: Int? = nil, pack: Int? = nil,
        patchSize: Double? = nil
    ) {
        self.slideID = slideID
        self.caseID = caseID
        self.label = label
        self.instances = instances
        self.pack = pack
        self.patchSize = patchSize
    }

    enum CodingKeys: String, CodingKey {
        case slideID = "slide_id"
        case caseID = "case_id"
        case label, instances, pack
        case patchSize = "patch_size"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        slideID = try c.decode(String.self, forKey: .slideID)
        caseID = try c.decode(String.self, forKey: .caseID)
        label = try c.decodeIfPresent(String.self, forKey: .label) ?? ""
        instances = try c.decodeIfPresent(Int.self, forKey: .instances)
        pack = try c.decodeIfPresent(Int.self, forKey: .pack)
        patchSize = try c.decodeIfPresent(Double.self, forKey: .patchSize)
    }

    /// False for a slide of external data without a known label.
    public var isLabelled: Bool { !label.isEmpty }
}

/// One cross-validation fold: slide ids of each part.
public struct FoldRecord: Codable, Equatable, Sendable {
    public var fold: Int
    public var train: [String]
    public var val: [String]
    public var test: [String]

    public init(fold: Int, train: [String], val: [String], test: [String]) {
        self.fold = fold
        self.train = train
        self.val = val
        self.test = test
    }
}

/// A pack file written by hmil-pack (DESIGN §2.5).
public struct PackReference: Codable, Equatable, Sendable {
    public var path: String
    public var bags: Int
    public var featureDim: Int
    public var dtype: String
    /// The pack header's patch geometry (unit of the coordinates, the common patch size), when known.
    public var geometry: PackGeometry?

    public init(path: String, bags: Int, featureDim: Int, dtype: String, geometry: PackGeometry? = nil) {
        self.path = path
        self.bags = bags
        self.featureDim = featureDim
        self.dtype = dtype
        self.geometry = geometry
    }

    enum CodingKeys: String, CodingKey {
        case path, bags
        case featureDim = "feature_dim"
        case dtype, geometry
    }
}

public struct DroppedSlide: Codable, Equatable, Sendable {
    public var slideID: String
    public var reason: String

    public init(slideID: String, reason: String) {
        self.slideID = slideID
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case slideID = "slide_id"
        case reason
    }
}

/// One trained fold (DESIGN §2.7), added by hmil-train.
public struct ModelRecord: Codable, Equatable, Sendable {
    public var fold: Int
    public var checkpoint: String
    public var bestEpoch: Int
    /// Validation metrics of the kept checkpoint, by name.
    public var val: [String: Double]
    /// CPU seconds (user + system) the fold's training took, summed over resumed runs; absent when
    /// not recorded. Not deterministic, unlike the rest of the document.
    public var cpuSeconds: Double?

    public init(fold: Int, checkpoint: String, bestEpoch: Int, val: [String: Double], cpuSeconds: Double? = nil) {
        self.fold = fold
        self.checkpoint = checkpoint
        self.bestEpoch = bestEpoch
        self.val = val
        self.cpuSeconds = cpuSeconds
    }

    enum CodingKeys: String, CodingKey {
        case fold, checkpoint
        case bestEpoch = "best_epoch"
        case val
        case cpuSeconds = "cpu_seconds"
    }
}
