import ArgumentParser
import Shared

/// hmil-split: labels + hierarchy → split plan (`hmil.split/1`) on stdout. See DESIGN §2.1–2.3.
@main
struct HmilSplit: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "hmil-split",
        abstract: "Make (or import) patient-grouped cross-validation folds; write the split plan (hmil.split/1) to stdout.",
        discussion: """
            Schemes: kfold (disjoint test parts stratified by fine label, grouped by patient, each patient tested once) \
            and clam (CLAM's Monte-Carlo splits, byte-identical to create_splits_seq.py). Imports: --from-clam, --from-hmil. \
            Example: hmil-split labels.csv --hierarchy h.json --out work/ | hmil-pack --features feats/ --out work/
            """)

    @Argument(help: ArgumentHelp("Labels CSV with case_id,slide_id,label columns (optional with --from-hmil).", valueName: "LABELS.csv"))
    var labels: String?

    @Option(help: ArgumentHelp("Hierarchy JSON, or the official HMIL config (label_list + mapping). Required.", valueName: "H.json"))
    var hierarchy: String

    @Option(help: "Split scheme: kfold or clam. (default: \(SplitRequest.defaultScheme.rawValue))")
    var scheme: SplitScheme?

    @Option(help: "Number of folds (K). (default: \(SplitRequest.defaultFolds))")
    var folds: Int?

    @Option(help: "Random seed; with clam, numpy's seed (0 to 4294967295). (default: \(SplitRequest.defaultSeed))")
    var seed: UInt64?

    @Option(
        name: .customLong("val-frac"),
        help: "Share of each class's (training) patients for validation. (default: \(SplitRequest.defaultValFrac))")
    var valFrac: Double?

    @Option(
        name: .customLong("test-frac"),
        help: "clam only: share of each class's patients for test. (default: \(SplitRequest.defaultTestFrac))")
    var testFrac: Double?

    @Option(
        name: .customLong("label-frac"),
        help:
            "clam only: share of the remaining training patients kept, as CLAM's --label_frac. (default: \(SplitRequest.defaultLabelFrac))")
    var labelFrac: Double?

    @Option(
        name: .customLong("label-col"),
        help: ArgumentHelp(
            "Column of the labels CSV holding the fine label. (default: \(SplitRequest.defaultLabelColumn))", valueName: "NAME"))
    var labelCol: String?

    @Option(
        name: .customLong("patient-voting"),
        help:
            "Label of a patient whose slides disagree: max (highest class) or maj (most frequent). (default: none — such a patient is an error)"
    )
    var patientVoting: PatientVoting?

    @Flag(
        name: .customLong("allow-small-classes"),
        help: "kfold: warn instead of failing when a class has fewer patients than folds. (default: off)")
    var allowSmallClasses = false

    @Option(help: ArgumentHelp("Also save the plan as DIR/split.json. (default: stdout only)", valueName: "DIR"))
    var out: String?

    @Option(
        name: .customLong("clam-dir"),
        help: ArgumentHelp(
            "Also write CLAM's splits_k.csv, splits_k_bool.csv, splits_k_descriptor.csv per fold into DIR. (default: none)",
            valueName: "DIR"))
    var clamDir: String?

    @Option(
        name: .customLong("from-clam"),
        help: ArgumentHelp("Import the folds of a CLAM split folder (splits_k.csv). (default: none)", valueName: "DIR"))
    var fromCLAM: String?

    @Option(
        name: .customLong("from-hmil"),
        help: ArgumentHelp("Import the official HMIL pickles ({train,val,test}_splits_k.pkl). (default: none)", valueName: "DIR"))
    var fromHMIL: String?

    func run() throws {
        ToolRunner.run("hmil-split") {
            var request = SplitRequest(labelsPath: labels, hierarchyPath: hierarchy)
            request.scheme = scheme
            request.folds = folds
            request.seed = seed
            request.valFrac = valFrac
            request.testFrac = testFrac
            request.labelFrac = labelFrac
            request.labelColumn = labelCol
            request.patientVoting = patientVoting
            request.allowSmallClasses = allowSmallClasses
            request.fromCLAM = fromCLAM
            request.fromHMIL = fromHMIL
            let outcome = try SplitPlanner.plan(request)
            for warning in outcome.warnings { StandardError.write("hmil-split: warning: \(warning)\n") }
            if let clamDir { try CLAMSplitFiles.write(outcome.document, to: clamDir) }
            try DocumentIO.emit(outcome.document, saveIn: out, as: "split.json")
        }
    }
}

extension SplitScheme: ExpressibleByArgument {}
extension PatientVoting: ExpressibleByArgument {}
