import Foundation
import Shared
import XCTest

/// The demo's second task (`hmil-demo-data --task lesions`, `make demo TASK=lesions`) in its small
/// mode: nine fine classes under three coarse ones, bags of 100–300 garments of which 1–5 % are key,
/// key images never reused, background images reused across bags but never within one; determinism
/// by seed; and the Makefile's lesions defaults. Helpers are DemoDataTests'.
extension DemoDataTests {
    static let lesionsFine = ["normal", "tshirt", "pullover", "coat", "shirt", "sandal", "sneaker", "ankle_boot", "bag"]

    func testSmallLesionsDataSetHasTheShapeOfTheTask() throws {
        let out = try buildSmall(seed: 3, task: "lesions")
        let labels = try csv(out + "/labels.csv")
        XCTAssertEqual(labels.rows.count, 9 * 6, "6 bags for each of the 9 fine classes")
        for label in Self.lesionsFine {
            XCTAssertEqual(labels.rows.filter { $0[2] == label }.count, 6, label)
        }
        let hierarchy = try JSONDecoder().decode(Hierarchy.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/hierarchy.json")))
        try hierarchy.validate(source: "hierarchy.json")
        XCTAssertEqual(hierarchy.coarse, ["normal", "tops", "accessories"])
        XCTAssertEqual(hierarchy.fine, Self.lesionsFine)
        XCTAssertEqual(hierarchy.parentIndex, [0, 1, 1, 1, 1, 2, 2, 2, 2])

        let instances = try csv(out + "/instance_labels.csv")
        XCTAssertEqual(instances.header, ["slide_id", "instance", "label", "garment_class", "image"])
        let labelOfSlide = Dictionary(uniqueKeysWithValues: labels.rows.map { ($0[1], $0[2]) })
        let rowsOfSlide = Dictionary(grouping: instances.rows, by: { $0[0] })
        XCTAssertEqual(Set(rowsOfSlide.keys), Set(labelOfSlide.keys))
        var shares: [Double] = []
        for (slide, rows) in rowsOfSlide {
            let label = labelOfSlide[slide]!
            XCTAssertTrue((100...300).contains(rows.count), "\(slide) holds \(rows.count) garments")
            XCTAssertEqual(rows.map { Int($0[1])! }, Array(0..<rows.count), "\(slide): instances numbered in row order")
            let keys = rows.filter { $0[2] == "1" }
            XCTAssertTrue(keys.allSatisfy { $0[3] == label }, "\(slide): a key garment is of the bag's class")
            XCTAssertTrue(
                rows.filter { $0[2] == "0" }.allSatisfy { ["trouser", "dress"].contains($0[3]) },
                "\(slide): background is trousers and dresses")
            XCTAssertEqual(Set(rows.map { $0[4] }).count, rows.count, "\(slide): no image twice in one bag")
            if label == "normal" {
                XCTAssertEqual(keys.count, 0, "\(slide): a normal bag has no key garments")
            } else {
                let share = Double(keys.count) / Double(rows.count)
                XCTAssertGreaterThanOrEqual(share, 0.01 - 1e-12, slide)
                XCTAssertLessThanOrEqual(share, 0.05 + 1e-12, slide)
                shares.append(share)
            }
        }
        XCTAssertLessThan(shares.reduce(0, +) / Double(shares.count), 0.04, "a low witness rate on average")
        let keyImages = instances.rows.filter { $0[2] == "1" }.map { $0[4] }
        XCTAssertEqual(Set(keyImages).count, keyImages.count, "no key image is used twice")
        let background = instances.rows.filter { $0[2] == "0" }.map { $0[4] }
        XCTAssertLessThan(Set(background).count, background.count, "background images are reused across bags")
        XCTAssertTrue(Set(keyImages).isDisjoint(with: background))
    }

    func testLesionsSameSeedGivesIdenticalFilesAndAnotherSeedDoesNot() throws {
        let first = try buildSmall(seed: 5, into: "first", task: "lesions")
        let again = try buildSmall(seed: 5, into: "again", task: "lesions")
        let other = try buildSmall(seed: 6, into: "other", task: "lesions")
        let files =
            try ["labels.csv", "hierarchy.json", "instance_labels.csv"]
            + FileManager.default.contentsOfDirectory(atPath: first + "/h5_files").sorted().map { "h5_files/" + $0 }
        XCTAssertEqual(files.count, 3 + 54)
        for file in files {
            XCTAssertEqual(
                FileManager.default.contents(atPath: first + "/" + file),
                FileManager.default.contents(atPath: again + "/" + file), file)
        }
        XCTAssertNotEqual(
            FileManager.default.contents(atPath: first + "/instance_labels.csv"),
            FileManager.default.contents(atPath: other + "/instance_labels.csv"))
    }

    func testMakeDemoOfTheLesionsTaskHasItsOwnFolderAndDefaults() throws {
        let result = try runMake(["-n", "demo", "TASK=lesions", "SMALL=1", "FOLDS=2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let lines = result.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(
            lines.filter {
                $0.contains("/hmil-demo-data ") && $0.contains("--out \(root)/demo-work-lesions/data --task lesions --seed 1 --small")
            }.count, 1,
            result.output)
        XCTAssertEqual(
            lines.filter { $0.contains("/hmil-train --out \(root)/demo-work-lesions/runs/") && $0.contains("--epochs 20 ") }.count, 3 * 2,
            "three runs of two folds, 20 epochs each")
        let unknown = try runMake(["-n", "demo", "TASK=tumours"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("TASK must be garments or lesions, not 'tumours'"), unknown.stderr)
    }
}
