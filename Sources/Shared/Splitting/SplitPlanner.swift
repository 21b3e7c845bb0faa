/// What hmil-split does, as one call: read the labels and hierarchy, make or import the folds, and
/// return the split plan (`hmil.split/1`, DESIGN §2.3). The executable only parses options into a
/// `SplitRequest`; an option left nil takes its default, and an option that does not apply to the
/// chosen scheme or import is an error rather than silently ignored.
public enum SplitScheme: String, CaseIterable, Sendable {
    case kfold, clam
}

public struct SplitRequest: Sendable {
    public var labelsPath: String?
    public var hierarchyPath: String
    public var scheme: SplitScheme?
    public var folds: Int?
    public var seed: UInt64?
    public var valFrac: Double?
    public var testFrac: Double?
    public var labelFrac: Double?
    public var labelColumn: String?
    public var patientVoting: PatientVoting?
    public var allowSmallClasses = false
    public var fromCLAM: String?
    public var fromHMIL: String?

    public static let defaultScheme = SplitScheme.kfold
    public static let defaultFolds = 10
    public static let defaultSeed: UInt64 = 1
    public static let defaultValFrac = 0.1
    public static let defaultTestFrac = 0.1
    public static let defaultLabelFrac = 1.0
    public static let defaultLabelColumn = "label"
    /// Bounds the work and memory a mistyped `--folds` can ask for.
    public static let maximumFolds = 1000

    public init(labelsPath: String?, hierarchyPath: String) {
        self.labelsPath = labelsPath
        self.hierarchyPath = hierarchyPath
    }
}

/// The plan and anything the user should hear about on stderr.
public struct SplitOutcome: Sendable {
    public var document: PipelineDocument
    public var warnings: [String]
}

public enum SplitPlanner {
    public static func plan(_ request: SplitRequest) throws -> SplitOutcome {
        try checkOptions(request)
        let hierarchy = try Hierarchy.load(path: request.hierarchyPath)
        let labelColumn = request.labelColumn ?? SplitRequest.defaultLabelColumn
        if let folder = request.fromHMIL {
            let labelled = try request.labelsPath.map { try LabelsCSV.read(path: $0, labelColumn: labelColumn) }
            return try HMILSplitImport.plan(
                folder: folder, labelled: labelled, labelsSource: request.labelsPath,
                hierarchy: hierarchy)
        }
        guard let labelsPath = request.labelsPath else {
            throw ToolError("no labels CSV given", hint: "give LABELS.csv (only --from-hmil can do without one)")
        }
        let slides = try LabelsCSV.read(path: labelsPath, labelColumn: labelColumn)
        if let folder = request.fromCLAM {
            return try importCLAM(folder: folder, slides: slides, labelsSource: labelsPath, hierarchy: hierarchy)
        }

        let table = try PatientTable(slides: slides, hierarchy: hierarchy, voting: request.patientVoting, source: labelsPath)
        let scheme = request.scheme ?? SplitRequest.defaultScheme
        let seed = request.seed ?? SplitRequest.defaultSeed
        let folds = request.folds ?? SplitRequest.defaultFolds
        let valFrac = request.valFrac ?? SplitRequest.defaultValFrac
        var warnings: [String] = []
        let parts: [[[Int]]]
        switch scheme {
        case .kfold:
            let options = KFoldSplitter.Options(
                folds: folds, seed: seed, valFrac: valFrac,
                allowSmallClasses: request.allowSmallClasses)
            (parts, warnings) = try KFoldSplitter.split(table, classes: hierarchy.fine, options: options, source: labelsPath)
        case .clam:
            let options = CLAMSplitter.Options(
                folds: folds, seed: UInt32(seed), valFrac: valFrac,
                testFrac: request.testFrac ?? SplitRequest.defaultTestFrac,
                labelFrac: request.labelFrac ?? SplitRequest.defaultLabelFrac)
            parts = try CLAMSplitter.split(table, classes: hierarchy.fine, options: options, source: labelsPath)
        }
        let ids = slides.map(\.slideID)
        let foldRecords = parts.enumerated().map { k, part in
            FoldRecord(fold: k, train: part[0].map { ids[$0] }, val: part[1].map { ids[$0] }, test: part[2].map { ids[$0] })
        }
        let document = PipelineDocument(
            format: PipelineDocument.splitFormat, hierarchy: hierarchy, scheme: scheme.rawValue,
            seed: seed, slides: slideRecords(slides), folds: foldRecords)
        return SplitOutcome(document: document, warnings: warnings)
    }

    static func checkOptions(_ request: SplitRequest) throws {
        func reject(_ option: String, _ given: Bool, _ why: String) throws {
            if given { throw ToolError("\(option) does not apply \(why)", hint: "leave \(option) out") }
        }
        if request.fromCLAM != nil || request.fromHMIL != nil {
            let source = request.fromCLAM != nil ? "--from-clam" : "--from-hmil"
            try reject("--from-clam", request.fromCLAM != nil && request.fromHMIL != nil, "together with --from-hmil")
            let why = "with \(source): the folds are imported"
            try reject("--scheme", request.scheme != nil, why)
            try reject("--folds", request.folds != nil, why)
            try reject("--seed", request.seed != nil, why)
            try reject("--val-frac", request.valFrac != nil, why)
            try reject("--test-frac", request.testFrac != nil, why)
            try reject("--label-frac", request.labelFrac != nil, why)
            try reject("--allow-small-classes", request.allowSmallClasses, why)
            try reject("--patient-voting", request.patientVoting != nil, why)
            try reject(
                "--label-col", request.fromHMIL != nil && request.labelsPath == nil && request.labelColumn != nil,
                "without a labels CSV")
            return
        }
        let scheme = request.scheme ?? SplitRequest.defaultScheme
        let folds = request.folds ?? SplitRequest.defaultFolds
        let minimumFolds = scheme == .kfold ? 2 : 1
        guard folds >= minimumFolds, folds <= SplitRequest.maximumFolds else {
            throw ToolError("--folds \(folds) is out of range", hint: "give \(minimumFolds) to \(SplitRequest.maximumFolds) folds")
        }
        let valFrac = request.valFrac ?? SplitRequest.defaultValFrac
        guard valFrac >= 0, valFrac < 1 else { throw ToolError("--val-frac \(valFrac) is not in [0, 1)") }
        switch scheme {
        case .kfold:
            let why = "to --scheme kfold (its test part is one fold in K)"
            try reject("--test-frac", request.testFrac != nil, why)
            try reject("--label-frac", request.labelFrac != nil, "to --scheme kfold")
        case .clam:
            try reject("--allow-small-classes", request.allowSmallClasses, "to --scheme clam")
            let testFrac = request.testFrac ?? SplitRequest.defaultTestFrac
            guard testFrac >= 0, testFrac < 1, valFrac + testFrac <= 1 else {
                throw ToolError(
                    "--test-frac \(testFrac) with --val-frac \(valFrac) leaves no training data",
                    hint: "keep each in [0, 1) and their sum at most 1")
            }
            let labelFrac = request.labelFrac ?? SplitRequest.defaultLabelFrac
            guard labelFrac > 0, labelFrac <= 1 else { throw ToolError("--label-frac \(labelFrac) is not in (0, 1]") }
            if let seed = request.seed, seed > UInt64(UInt32.max) {
                throw ToolError("--seed \(seed) is larger than numpy accepts", hint: "give a seed from 0 to 4294967295")
            }
        }
    }

    static func slideRecords(_ slides: [LabeledSlide]) -> [SlideRecord] {
        slides.map { SlideRecord(slideID: $0.slideID, caseID: $0.caseID, label: $0.label) }
    }

    /// Folds from a CLAM split folder, checked against the labels: every slide known, no slide in two
    /// parts of a fold; a patient in two parts of a fold is allowed (CLAM without patient_strat does
    /// it) but reported.
    static func importCLAM(folder: String, slides: [LabeledSlide], labelsSource: String, hierarchy: Hierarchy) throws
        -> SplitOutcome
    {
        // Checks every label against the hierarchy; patients' labels do not matter for imported folds.
        _ = try PatientTable(slides: slides, hierarchy: hierarchy, voting: .max, source: labelsSource)
        let folds = try CLAMSplitFiles.read(folder: folder)
        let caseOf = Dictionary(uniqueKeysWithValues: slides.map { ($0.slideID, $0.caseID) })
        let warnings = try checkFolds(
            folds, caseOf: caseOf, where: { "\(folder)/splits_\($0).csv" },
            missingHint: "add the slide to \(labelsSource)")
        let document = PipelineDocument(
            format: PipelineDocument.splitFormat, hierarchy: hierarchy, scheme: "clam-import",
            seed: nil, slides: slideRecords(slides), folds: folds)
        return SplitOutcome(document: document, warnings: warnings)
    }

    /// Checks imported folds; returns warnings for patients split across parts.
    static func checkFolds(
        _ folds: [FoldRecord], caseOf: [String: String], where file: (Int) -> String,
        missingHint: String
    ) throws -> [String] {
        var warnings: [String] = []
        for fold in folds {
            var partOf: [String: String] = [:]
            var patientPart: [String: String] = [:]
            var reported = Set<String>()
            for (name, part) in [("train", fold.train), ("val", fold.val), ("test", fold.test)] {
                for slide in part {
                    guard let caseID = caseOf[slide] else {
                        throw ToolError("slide '\(slide)' (\(name)) is not in the labels", at: file(fold.fold), hint: missingHint)
                    }
                    if let other = partOf.updateValue(name, forKey: slide) {
                        throw ToolError("slide '\(slide)' is in both \(other) and \(name)", at: file(fold.fold))
                    }
                    if let other = patientPart[caseID], other != name, reported.insert(caseID).inserted {
                        warnings.append("patient '\(caseID)' has slides in both \(other) and \(name) (\(file(fold.fold)))")
                    }
                    patientPart[caseID] = patientPart[caseID] ?? name
                }
            }
        }
        return warnings
    }
}
