import Foundation
import Shared
import XCTest

final class PackJobTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = try FixturePaths.temporaryFolder()
    }

    /// A bag with distinct, f16-exact values (multiples of 1/8 below 256).
    func bag(_ id: String, n: Int, d: Int = 4, seed: Int = 0) -> Bag {
        Bag(
            slideID: id, instanceCount: n, featureDim: d,
            features: (0..<n * d).map { Float(($0 * 7 + seed * 13) % 2000) / 8 - 100 })
    }

    func writeNpy(_ bag: Bag, in sub: String = "feats") throws -> String {
        let dir = folder + "/" + sub
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + bag.slideID + ".npy"
        try Data(NumpyFile.encode(bag)).write(to: URL(fileURLWithPath: path))
        return path
    }

    func plan(_ ids: [String]) -> PipelineDocument {
        let hierarchy = Hierarchy(coarse: ["a"], fine: ["x"], parent: ["x": "a"])
        return PipelineDocument(
            format: PipelineDocument.splitFormat, hierarchy: hierarchy, scheme: "kfold", seed: 1,
            slides: ids.map { SlideRecord(slideID: $0, caseID: "c" + $0, label: "x") },
            folds: [FoldRecord(fold: 0, train: Array(ids.dropLast()), val: [], test: Array(ids.suffix(1)))])
    }

    func options(jobs: Int = 2, dtype: StorageDType = .f32, skipMissing: Bool = false, out: String = "work") -> PackJob.Options {
        PackJob.Options(
            featureFolders: [folder + "/feats"], outFolder: folder + "/" + out, dtype: dtype, jobs: jobs,
            skipMissing: skipMissing, quiet: true)
    }

    func testPacksEverySlideOnceAndFillsTheDataset() throws {
        let bags = (0..<7).map { bag("s\($0)", n: 3 + $0) }
        for b in bags { _ = try writeNpy(b) }
        let (document, report) = try PackJob.run(plan(bags.map(\.slideID)), options: options())
        XCTAssertEqual(report.packed, 7)
        XCTAssertEqual(document.format, PipelineDocument.datasetFormat)
        XCTAssertEqual(document.packs, [PackReference(path: folder + "/work/bags.hbag", bags: 7, featureDim: 4, dtype: "f32")])
        XCTAssertEqual(document.slides.map(\.instances), bags.map(\.instanceCount))
        XCTAssertEqual(document.slides.map(\.pack), Array(repeating: 0, count: 7))
        let reader = try PackReader(path: folder + "/work/bags.hbag")
        XCTAssertEqual(reader.slideIDs, bags.map(\.slideID))
        for b in bags { XCTAssertEqual(try reader.readBag(b.slideID), b) }
    }

    func testSameInputsGiveTheSameBytesWhateverTheJobCount() throws {
        for i in 0..<9 { _ = try writeNpy(bag("s\(i)", n: 2 + i % 4, seed: i)) }
        let ids = (0..<9).map { "s\($0)" }
        _ = try PackJob.run(plan(ids), options: options(jobs: 1, dtype: .f16, out: "one"))
        _ = try PackJob.run(plan(ids), options: options(jobs: 3, dtype: .f16, out: "three"))
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: folder + "/one/bags.hbag")),
            try Data(contentsOf: URL(fileURLWithPath: folder + "/three/bags.hbag")))
    }

    func testMissingFileIsAnErrorOrADroppedSlide() throws {
        _ = try writeNpy(bag("a", n: 2))
        _ = try writeNpy(bag("c", n: 2))
        XCTAssertThrowsMessage(try PackJob.run(plan(["a", "b", "c"]), options: options()), "slide b", "--skip-missing")
        let (document, _) = try PackJob.run(plan(["a", "b", "c"]), options: options(skipMissing: true))
        XCTAssertEqual(document.slides.map(\.slideID), ["a", "c"])
        XCTAssertEqual(document.folds[0].train, ["a"])
        XCTAssertEqual(document.folds[0].test, ["c"])
        XCTAssertEqual(document.dropped?.map(\.slideID), ["b"])
    }

    func testDifferentFeatureDimNamesSlideAndFile() throws {
        _ = try writeNpy(bag("a", n: 2, d: 4))
        let path = try writeNpy(bag("b", n: 2, d: 5))
        XCTAssertThrowsMessage(try PackJob.run(plan(["a", "b"]), options: options()), "slide b", path, "feature dim 5")
    }

    func testUnchangedInputsAreNotRepacked() throws {
        for i in 0..<3 { _ = try writeNpy(bag("s\(i)", n: 2)) }
        let ids = ["s0", "s1", "s2"]
        let (first, _) = try PackJob.run(plan(ids), options: options())
        let packPath = folder + "/work/bags.hbag"
        let before = try FileManager.default.attributesOfItem(atPath: packPath)[.modificationDate] as! Date
        let (second, report) = try PackJob.run(plan(ids), options: options())
        XCTAssertTrue(report.unchanged)
        XCTAssertEqual(first, second)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: packPath)[.modificationDate] as? Date, before)
        // Another dtype is another pack.
        let (_, f16) = try PackJob.run(plan(ids), options: options(dtype: .f16))
        XCTAssertEqual(f16.packed, 3)
    }

    func testAddedAndChangedSlidesRepackOnlyThemselves() throws {
        for i in 0..<4 { _ = try writeNpy(bag("s\(i)", n: 2 + i)) }
        _ = try PackJob.run(plan(["s0", "s1", "s2"]), options: options())
        let changed = bag("s1", n: 9, seed: 5)
        _ = try writeNpy(changed)
        let (document, report) = try PackJob.run(plan(["s0", "s1", "s2", "s3"]), options: options())
        XCTAssertEqual(report.reused, 2)
        XCTAssertEqual(report.packed, 2)
        XCTAssertEqual(document.slides.map(\.instances), [2, 9, 4, 5])
        let reader = try PackReader(path: folder + "/work/bags.hbag")
        XCTAssertEqual(try reader.readBag("s1"), changed)
        XCTAssertEqual(try reader.readBag("s0"), bag("s0", n: 2))
        XCTAssertEqual(try reader.readBag("s3"), bag("s3", n: 5))
    }

    func testLocatorFindsCLAMAndTRIDENTLayoutsInFolderOrder() throws {
        let fm = FileManager.default
        for sub in ["clam/pt_files", "clam/h5_files", "trident/features_uni_v1", "flat"] {
            try fm.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
        }
        for path in [
            "clam/pt_files/a.pt", "clam/h5_files/a.h5", "clam/h5_files/b.h5", "trident/features_uni_v1/c.h5",
            "flat/a.npy", "flat/d.csv", "flat/e.txt"
        ] {
            fm.createFile(atPath: folder + "/" + path, contents: Data())
        }
        let locator = try FeatureLocator(folders: ["clam", "trident", "flat"].map { folder + "/" + $0 })
        XCTAssertEqual(locator.path(of: "a"), folder + "/clam/pt_files/a.pt")
        XCTAssertEqual(locator.path(of: "b"), folder + "/clam/h5_files/b.h5")
        XCTAssertEqual(locator.path(of: "c"), folder + "/trident/features_uni_v1/c.h5")
        XCTAssertEqual(locator.path(of: "d"), folder + "/flat/d.csv")
        XCTAssertNil(locator.path(of: "e"))
        XCTAssertThrowsMessage(try FeatureLocator(folders: [folder + "/nowhere"]), "does not exist")
    }

    func testGoldenTorchAndHDF5FilesPackTogether() throws {
        // CLAM-style .pt and .h5 with the same feature dim: trident.h5 (16 columns, int32 coords) is
        // the odd one out, so pack the two 5-column files without coordinates.
        let dir = folder + "/feats"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: FixturePaths.features("half.pt"), toPath: dir + "/h.pt")
        try FileManager.default.copyItem(atPath: FixturePaths.features("bfloat16.pt"), toPath: dir + "/b.pt")
        let (document, _) = try PackJob.run(plan(["h", "b"]), options: options())
        XCTAssertEqual(document.slides.map(\.instances), [6, 6])
        let reader = try PackReader(path: folder + "/work/bags.hbag")
        XCTAssertEqual(try reader.readBag("h").features, GoldenFeatures.all["half.pt"]!.features.map { Float($0) })
    }
}
