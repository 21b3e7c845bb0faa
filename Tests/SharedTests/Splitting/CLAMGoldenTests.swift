import Foundation
import Shared
import XCTest

/// The 60 files CLAM's create_splits_seq.py wrote (Fixtures/Splitting/clam, see its README), byte for byte.
final class CLAMGoldenTests: XCTestCase {
    struct Task {
        var csv: String, folder: String, classes: [String], voting: PatientVoting, labelFrac: Double
    }

    let tasks = [
        Task(
            csv: "tumor_vs_normal_dummy_clean.csv", folder: "task_1_tumor_vs_normal_75",
            classes: ["normal_tissue", "tumor_tissue"], voting: .max, labelFrac: 0.75),
        Task(
            csv: "tumor_subtyping_dummy_clean.csv", folder: "task_2_tumor_subtyping_50",
            classes: ["subtype_1", "subtype_2", "subtype_3"], voting: .maj, labelFrac: 0.5)
    ]

    func plan(_ task: Task) throws -> PipelineDocument {
        let hierarchyPath = try SplitFixtures.temporaryFile(
            String(decoding: try DocumentIO.encode(SplitFixtures.flat(task.classes)), as: UTF8.self), name: "h.json")
        var request = SplitRequest(labelsPath: SplitFixtures.path("clam/dataset_csv/" + task.csv), hierarchyPath: hierarchyPath)
        request.scheme = .clam
        request.seed = 1
        request.folds = 10
        request.labelFrac = task.labelFrac
        request.patientVoting = task.voting
        return try SplitPlanner.plan(request).document
    }

    func testAllSixtyFilesAreReproducedByteForByte() throws {
        var compared = 0
        for task in tasks {
            let document = try plan(task)
            XCTAssertEqual(document.folds.count, 10)
            let out = try FixturePaths.temporaryFolder()
            try CLAMSplitFiles.write(document, to: out)
            for k in 0..<10 {
                for suffix in ["", "_bool", "_descriptor"] {
                    let name = "splits_\(k)\(suffix).csv"
                    let expected = try SplitFixtures.text("clam/splits/\(task.folder)/\(name)")
                    let written = try String(contentsOfFile: out + "/" + name, encoding: .utf8)
                    XCTAssertEqual(written, expected, "\(task.folder)/\(name)")
                    compared += 1
                }
            }
        }
        XCTAssertEqual(compared, 60)
    }

    func testImportingCLAMFoldersGivesTheSameFolds() throws {
        for task in tasks {
            let made = try plan(task)
            let hierarchyPath = try SplitFixtures.temporaryFile(
                String(decoding: try DocumentIO.encode(SplitFixtures.flat(task.classes)), as: UTF8.self), name: "h.json")
            var request = SplitRequest(labelsPath: SplitFixtures.path("clam/dataset_csv/" + task.csv), hierarchyPath: hierarchyPath)
            request.fromCLAM = SplitFixtures.path("clam/splits/" + task.folder)
            let imported = try SplitPlanner.plan(request)
            XCTAssertEqual(imported.document.folds, made.folds)
            XCTAssertEqual(imported.document.scheme, "clam-import")
            XCTAssertEqual(imported.warnings, [])
        }
    }

    func testPatientOrderIsNumpyUniqueOrder() {
        // pandas reads an all-integer column as int64, so np.unique sorts numerically; otherwise by code point.
        XCTAssertEqual(CLAMSplitterOrder.of(["10", "9", "-1", "+2"]), [2, 3, 1, 0])
        XCTAssertEqual(CLAMSplitterOrder.of(["p10", "p9", "P1", "é", "z"]), [2, 0, 1, 4, 3])
    }

    func testQuotingFollowsPythonsCSVWriter() {
        XCTAssertEqual(
            String(decoding: CLAMSplitFiles.splitsCSV(train: ["a,b", "c\"d"], val: ["e"], test: []), as: UTF8.self),
            ",train,val,test\n0,\"a,b\",e,\n1,\"c\"\"d\",,\n")
        XCTAssertEqual(
            String(decoding: CLAMSplitFiles.boolCSV(train: ["x"], val: [], test: ["y"]), as: UTF8.self),
            ",train,val,test\nx,True,False,False\ny,False,False,True\n")
    }

    func testSmallClassForCLAMCountsIsAnError() throws {
        let labels = try SplitFixtures.temporaryFile("case_id,slide_id,label\np1,s1,a\np2,s2,a\np3,s3,a\np4,s4,b\n")
        let hierarchy = try SplitFixtures.temporaryFile(
            String(decoding: try DocumentIO.encode(SplitFixtures.flat(["a", "b"])), as: UTF8.self), name: "h.json")
        var request = SplitRequest(labelsPath: labels, hierarchyPath: hierarchy)
        request.scheme = .clam
        request.valFrac = 0.5
        request.testFrac = 0.5
        XCTAssertThrowsError(try SplitPlanner.plan(request)) { error in
            XCTAssertEqual(
                "\(error)",
                "class 'a' has 3 patients, too few for 2 validation and 2 test patients (\(labels)) — lower --val-frac or --test-frac")
        }
    }
}

/// Reaches CLAM's patient order through the public splitter: one slide per patient, one class, every
/// patient in train with label_frac 1, so the train part lists patients in np.unique order.
enum CLAMSplitterOrder {
    static func of(_ caseIDs: [String]) -> [Int] {
        let slides = caseIDs.enumerated().map { LabeledSlide(slideID: "s\($0.offset)", caseID: $0.element, label: "a") }
        let table = try! PatientTable(slides: slides, hierarchy: SplitFixtures.flat(["a"]), voting: nil, source: "x")
        let folds = try! CLAMSplitter.split(table, classes: ["a"], options: .init(folds: 1, valFrac: 0, testFrac: 0), source: "x")
        return folds[0][0]
    }
}
