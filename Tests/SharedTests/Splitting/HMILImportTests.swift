import Foundation
import Shared
import XCTest

/// The official HMIL release's BRACS split pickles (Fixtures/Splitting/hmil-official-splits).
final class HMILImportTests: XCTestCase {
    func hierarchyFile() throws -> String {
        try SplitFixtures.temporaryFile(String(decoding: try DocumentIO.encode(SplitFixtures.bracs), as: UTF8.self), name: "h.json")
    }

    func testBRACSPicklesGive545SlidesWith437_54_54PerFold() throws {
        var request = SplitRequest(labelsPath: nil, hierarchyPath: try hierarchyFile())
        request.fromHMIL = SplitFixtures.path("hmil-official-splits/BRACS")
        let outcome = try SplitPlanner.plan(request)
        let document = outcome.document
        XCTAssertEqual(document.format, "hmil.split/1")
        XCTAssertEqual(document.scheme, "hmil-import")
        XCTAssertNil(document.seed)
        XCTAssertEqual(document.slides.count, 545)
        XCTAssertEqual(document.folds.count, 10)
        for fold in document.folds {
            XCTAssertEqual([fold.train.count, fold.val.count, fold.test.count], [437, 54, 54], "fold \(fold.fold)")
            XCTAssertEqual(Set(fold.train + fold.val + fold.test).count, 545)
        }
        XCTAssertEqual(document.slides.first, SlideRecord(slideID: "BRACS_745", caseID: "BRACS_745", label: "PB"))
        XCTAssertEqual(Set(document.slides.map(\.label)), Set(SplitFixtures.bracs.fine))
        XCTAssertEqual(outcome.warnings, [])
        // The release's folds are Monte-Carlo (as CLAM's): test parts overlap, 362 slides are ever tested.
        XCTAssertEqual(Set(document.folds.flatMap(\.test)).count, 362)
    }

    func testLabelsCSVGivesPatientsAndMustAgree() throws {
        let folder = SplitFixtures.path("hmil-official-splits/BRACS")
        let plain = try SplitPlanner.plan(
            {
                var r = SplitRequest(labelsPath: nil, hierarchyPath: try hierarchyFile())
                r.fromHMIL = folder
                return r
            }())
        var rows = plain.document.slides.map { "\($0.slideID.hasSuffix("5") ? "patient_five" : $0.caseID),\($0.slideID),\($0.label)" }
        let labels = try SplitFixtures.temporaryFile("case_id,slide_id,label\n" + rows.joined(separator: "\n") + "\n")
        var request = SplitRequest(labelsPath: labels, hierarchyPath: try hierarchyFile())
        request.fromHMIL = folder
        let outcome = try SplitPlanner.plan(request)
        XCTAssertEqual(outcome.document.folds, plain.document.folds)
        XCTAssertFalse(outcome.warnings.isEmpty, "patient_five's slides sit in different parts")
        XCTAssertTrue(outcome.warnings[0].hasPrefix("patient 'patient_five' has slides in both"))

        rows[0] = "BRACS_745,BRACS_745,IC"
        let wrong = try SplitFixtures.temporaryFile("case_id,slide_id,label\n" + rows.joined(separator: "\n") + "\n")
        request.labelsPath = wrong
        XCTAssertThrowsError(try SplitPlanner.plan(request)) { error in
            XCTAssertEqual(
                "\(error)", "slide 'BRACS_745' is labelled 'IC' here but 'PB' in \(folder)/train_splits_0.pkl (\(wrong), line 2)")
        }
    }

    func testUnreadablePickleIsNamed() throws {
        let folder = try FixturePaths.temporaryFolder()
        for part in ["train", "val", "test"] {
            try FileManager.default.copyItem(
                atPath: SplitFixtures.path("hmil-official-splits/BRACS/\(part)_splits_0.pkl"),
                toPath: "\(folder)/\(part)_splits_0.pkl")
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/val_splits_0.pkl"))
        try bytes.prefix(100).write(to: URL(fileURLWithPath: "\(folder)/val_splits_0.pkl"))
        var request = SplitRequest(labelsPath: nil, hierarchyPath: try hierarchyFile())
        request.fromHMIL = folder
        XCTAssertThrowsError(try SplitPlanner.plan(request)) { error in
            XCTAssertTrue("\(error)".hasPrefix("pickle ends early at byte"), "\(error)")
            XCTAssertTrue("\(error)".contains("(\(folder)/val_splits_0.pkl)"), "\(error)")
        }
        // A pickle that is not a list of entries.
        try Data([0x80, 0x04, 0x4B, 0x07, 0x2E]).write(to: URL(fileURLWithPath: "\(folder)/val_splits_0.pkl"))  // int 7
        XCTAssertThrowsError(try SplitPlanner.plan(request)) { error in
            XCTAssertEqual("\(error)", "pickle holds int, not a list of [slide_id, label, path] (\(folder)/val_splits_0.pkl)")
        }
        try FileManager.default.removeItem(atPath: "\(folder)/val_splits_0.pkl")
        XCTAssertThrowsError(try SplitPlanner.plan(request)) { error in
            XCTAssertEqual("\(error)", "missing split pickle (\(folder)/val_splits_0.pkl) — each fold needs train, val and test pickles")
        }
    }
}
