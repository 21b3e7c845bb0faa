import Foundation
import Shared
import XCTest

/// hmil-split as one call: the plan document and each bad-input case's one-line error.
final class SplitPlannerTests: XCTestCase {
    var hierarchyPath = ""

    override func setUpWithError() throws {
        hierarchyPath = try SplitFixtures.temporaryFile(
            String(decoding: try DocumentIO.encode(SplitFixtures.bracs), as: UTF8.self),
            name: "h.json")
    }

    /// 40 patients, 2 slides each, every fine class present at least 5 times.
    func labelsCSV(extra: String = "") -> String {
        var text = "case_id,slide_id,label\n"
        for p in 0..<40 {
            let label = SplitFixtures.bracs.fine[p % 7]
            text += "p\(p),s\(p)a,\(label)\np\(p),s\(p)b,\(label)\n"
        }
        return text + extra
    }

    func plan(_ labels: String, configure: (inout SplitRequest) -> Void = { _ in }) throws -> SplitOutcome {
        var request = SplitRequest(labelsPath: try SplitFixtures.temporaryFile(labels), hierarchyPath: hierarchyPath)
        configure(&request)
        return try SplitPlanner.plan(request)
    }

    func assertError(
        _ labels: String, _ expected: (String) -> String, line: UInt = #line,
        configure: (inout SplitRequest) -> Void = { _ in }
    ) throws {
        let path = try SplitFixtures.temporaryFile(labels)
        var request = SplitRequest(labelsPath: path, hierarchyPath: hierarchyPath)
        configure(&request)
        XCTAssertThrowsError(try SplitPlanner.plan(request), line: line) { error in
            XCTAssertEqual("\(error)", expected(path), line: line)
        }
    }

    func testKFoldPlanDocument() throws {
        let outcome = try plan(labelsCSV()) {
            $0.folds = 5
            $0.seed = 3
        }
        let document = outcome.document
        XCTAssertEqual(document.format, PipelineDocument.splitFormat)
        XCTAssertEqual(document.scheme, "kfold")
        XCTAssertEqual(document.seed, 3)
        XCTAssertEqual(document.hierarchy, SplitFixtures.bracs)
        XCTAssertEqual(document.slides.count, 80)
        XCTAssertEqual(document.slides[1], SlideRecord(slideID: "s0b", caseID: "p0", label: "N"))
        XCTAssertEqual(document.folds.map(\.fold), [0, 1, 2, 3, 4])
        XCTAssertEqual(document.folds.map(\.test.count), [16, 16, 16, 16, 16])
        XCTAssertEqual(Set(document.folds.flatMap(\.test)).count, 80)
        XCTAssertEqual(outcome.warnings, [])
        XCTAssertEqual(
            try plan(labelsCSV()) {
                $0.folds = 5
                $0.seed = 3
            }.document, document)
    }

    func testLabelNotInHierarchy() throws {
        try assertError(labelsCSV(extra: "p99,s99,Tumour\n")) {
            "label 'Tumour' of slide 's99' is not a fine label of the hierarchy (\($0), line 82) — fine labels are N, PB, UDH, FEA, ADH, DCIS, IC"
        }
    }

    func testPatientWithDisagreeingSlides() throws {
        let labels = labelsCSV(extra: "p3,s3c,IC\n")
        try assertError(labels) {
            "patient 'p3' has slides labelled 'FEA' ('s3a') and 'IC' ('s3c') (\($0), line 82) — pass --patient-voting max (highest class, CLAM's default) or maj (most frequent) to give each patient one label"
        }
        // With a voting rule the patient gets one label and the plan is made.
        XCTAssertEqual(
            try plan(labels) {
                $0.patientVoting = .maj
                $0.folds = 5
            }.document.slides.count, 81)
    }

    func testVotingRules() throws {
        let slides = ["IC", "N", "N", "PB", "PB"].enumerated().map {
            LabeledSlide(slideID: "s\($0.offset)", caseID: "p", label: $0.element)
        }
        let byMax = try PatientTable(slides: slides, hierarchy: SplitFixtures.bracs, voting: .max, source: "x")
        let byMajority = try PatientTable(slides: slides, hierarchy: SplitFixtures.bracs, voting: .maj, source: "x")
        XCTAssertEqual(byMax.patients[0].label, 6)  // IC, the highest class index
        XCTAssertEqual(byMajority.patients[0].label, 0)  // N and PB tie at two: the lower index, as scipy.stats.mode
    }

    func testClassWithFewerPatientsThanFolds() throws {
        let labels = labelsCSV()  // 5 or 6 patients per class
        try assertError(
            labels,
            {
                "class 'DCIS' has 5 patients, fewer than the 6 folds (\($0)) — use fewer --folds, or --allow-small-classes to accept test parts without this class"
            }
        ) {
            $0.folds = 6
        }
        let outcome = try plan(labels) {
            $0.folds = 6
            $0.allowSmallClasses = true
        }
        XCTAssertEqual(outcome.warnings.count, 2)
        XCTAssertEqual(outcome.document.folds.count, 6)
    }

    func testOptionsThatDoNotApply() throws {
        let labels = labelsCSV()
        try assertError(
            labels, { _ in "--test-frac does not apply to --scheme kfold (its test part is one fold in K) — leave --test-frac out" }
        ) {
            $0.testFrac = 0.2
        }
        try assertError(labels, { _ in "--folds 1 is out of range — give 2 to 1000 folds" }) { $0.folds = 1 }
        try assertError(labels, { _ in "--val-frac 1.0 is not in [0, 1)" }) { $0.valFrac = 1 }
        try assertError(labels, { _ in "--seed 4294967296 is larger than numpy accepts — give a seed from 0 to 4294967295" }) {
            $0.scheme = .clam
            $0.seed = 1 << 32
        }
        try assertError(labels, { _ in "--seed does not apply with --from-clam: the folds are imported — leave --seed out" }) {
            $0.fromCLAM = "x"
            $0.seed = 2
        }
    }

    func testCLAMImportErrors() throws {
        let labels = labelsCSV()
        let folder = try FixturePaths.temporaryFolder()
        try assertError(
            labels, { _ in "no CLAM split files (\(folder)/splits_0.csv) — point --from-clam at a folder written by create_splits_seq.py" }
        ) {
            $0.fromCLAM = folder
        }
        try ",train,val,test\n0,s0a,s1a,s2a\n1,s0b,,s9x\n".write(toFile: folder + "/splits_0.csv", atomically: true, encoding: .utf8)
        try assertError(labels, { "slide 's9x' (test) is not in the labels (\(folder)/splits_0.csv) — add the slide to \($0)" }) {
            $0.fromCLAM = folder
        }
        try ",train,val,test\n0,s0a,s0a,\n".write(toFile: folder + "/splits_0.csv", atomically: true, encoding: .utf8)
        try assertError(labels, { _ in "slide 's0a' is in both train and val (\(folder)/splits_0.csv)" }) { $0.fromCLAM = folder }
        try ",train,val,test\n0,s0a,,s1a\n1,s0b,s1b,\n".write(toFile: folder + "/splits_0.csv", atomically: true, encoding: .utf8)
        try assertError(labels, { _ in "slide 's1b' after an empty cell in column 'val' (\(folder)/splits_0.csv, line 3)" }) {
            $0.fromCLAM = folder
        }
    }

    func testLabelsCSVRequiredWithoutHMILImport() {
        XCTAssertThrowsError(try SplitPlanner.plan(SplitRequest(labelsPath: nil, hierarchyPath: hierarchyPath))) { error in
            XCTAssertEqual("\(error)", "no labels CSV given — give LABELS.csv (only --from-hmil can do without one)")
        }
    }
}
