import Foundation
import Shared
import XCTest

/// Patch geometry kept by hmil-pack in the pack header and dataset document, from the files each extractor
/// writes (Fixtures/geometry/make_geometry_fixtures.py and Fixtures/features/make_fixtures.py, both h5py).
final class PackGeometryTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = try FixturePaths.temporaryFolder()
    }

    func geometryFixture(_ name: String) -> String { FixturePaths.path("geometry/" + name) }

    /// Copies fixture files into a features folder, each under a slide id.
    func features(_ files: [String: String]) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder + "/feats", withIntermediateDirectories: true)
        for (slide, source) in files {
            try FileManager.default.copyItem(atPath: source, toPath: folder + "/feats/\(slide).h5")
        }
        return files.keys.sorted()
    }

    func plan(_ ids: [String]) -> PipelineDocument {
        PipelineDocument(
            format: PipelineDocument.splitFormat, hierarchy: Hierarchy(coarse: ["a"], fine: ["x"], parent: ["x": "a"]),
            scheme: "kfold", seed: 1, slides: ids.map { SlideRecord(slideID: $0, caseID: $0, label: "x") },
            folds: [FoldRecord(fold: 0, train: ids, val: [], test: [])])
    }

    func pack(_ ids: [String], patchSize: Double? = nil, patches: String? = nil) throws -> PipelineDocument {
        try PackJob.run(
            plan(ids),
            options: PackJob.Options(
                featureFolders: [folder + "/feats"], outFolder: folder + "/work", jobs: 1,
                quiet: true, patchSize: patchSize, patchFolder: patches)
        ).document
    }

    // MARK: - Kept by hmil-pack

    func testPackKeepsTheGeometryInHeaderAndDataset() throws {
        let ids = try features(["t40": FixturePaths.features("trident.h5")])
        let document = try pack(ids)
        let expected = PackGeometry(
            unit: .pixels, patchSize: 512,
            source: "TRIDENT patch_size_level0 = TRIDENT patch_size × level0_magnification / target_magnification")
        XCTAssertEqual(try PackReader(path: folder + "/work/bags.hbag").header.geometry, expected)
        XCTAssertEqual(document.packs?.first?.geometry, expected)
        XCTAssertEqual(document.slides.map(\.patchSize), [512])
        // The JSON round trip keeps it, with the documented key names.
        let json = String(decoding: try DocumentIO.encode(document), as: UTF8.self)
        XCTAssertTrue(json.contains("\"patch_size\" : 512"), json)
        XCTAssertEqual(try DocumentIO.decode(PipelineDocument.self, from: DocumentIO.encode(document), source: "t"), document)
    }

    func testSlidesOfDifferentMagnificationsKeepTheirOwnSize() throws {
        let ids = try features(["t40": FixturePaths.features("trident.h5"), "t20": geometryFixture("trident_20x.h5")])
        let document = try pack(ids)
        XCTAssertEqual(document.slides.map(\.slideID), ["t20", "t40"])
        XCTAssertEqual(document.slides.map(\.patchSize), [256, 512])
        XCTAssertEqual(document.packs?.first?.geometry?.unit, .pixels)
        XCTAssertNil(document.packs?.first?.geometry?.patchSize, "no common size")
    }

    func testPatchSizeOptionAndCLAMOrTridentPatchFolders() throws {
        let ids = try features(["c1": geometryFixture("clam_features/c1.h5")])
        XCTAssertNil(try pack(ids).packs?.first?.geometry, "CLAM features alone place nothing")
        XCTAssertEqual(try pack(ids, patchSize: 512).slides.first?.patchSize, 512)
        let fromPatches = try pack(ids, patches: geometryFixture("clam_patches"))
        XCTAssertEqual(
            fromPatches.packs?.first?.geometry,
            PackGeometry(unit: .pixels, patchSize: 512, source: "patch file CLAM patch_size × downsample"))
        // Both, agreeing (within a pixel of each other).
        XCTAssertEqual(try pack(ids, patchSize: 511, patches: geometryFixture("clam_patches")).slides.first?.patchSize, 512)
        // TRIDENT's <slide>_patches.h5 naming.
        try FileManager.default.copyItem(atPath: geometryFixture("clam_features/c1.h5"), toPath: folder + "/feats/t1.h5")
        let trident = try pack(["t1"], patches: geometryFixture("trident_patches"))
        XCTAssertEqual(trident.slides.first?.patchSize, 512)
    }

    func testNewGeometryAloneRewritesTheHeaderAndReusesEveryBag() throws {
        let ids = try features(["c1": geometryFixture("clam_features/c1.h5")])
        _ = try pack(ids)
        let options = PackJob.Options(
            featureFolders: [folder + "/feats"], outFolder: folder + "/work", jobs: 1, quiet: true, patchSize: 256)
        let (_, report) = try PackJob.run(plan(ids), options: options)
        XCTAssertFalse(report.unchanged)
        XCTAssertEqual(report.reused, 1)
        XCTAssertEqual(report.packed, 0)
        XCTAssertEqual(try PackReader(path: folder + "/work/bags.hbag").header.geometry?.patchSize, 256)
        let (_, again) = try PackJob.run(plan(ids), options: options)
        XCTAssertTrue(again.unchanged)
    }

    // MARK: - Older packs and documents still read

    func testHeadersAndDocumentsWithoutGeometryStillRead() throws {
        let header = #"{"byte_shuffle":true,"coords":"int32","dtype":"f16","feature_dim":1024,"tool":"hmil 0.1"}"#
        let decoded = try JSONDecoder().decode(PackHeader.self, from: Data(header.utf8))
        XCTAssertNil(decoded.geometry)
        XCTAssertEqual(decoded.featureDim, 1024)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        XCTAssertEqual(String(decoding: try encoder.encode(decoded), as: UTF8.self), header, "a pack without geometry is written as before")
        let slide = try JSONDecoder().decode(
            SlideRecord.self, from: Data(#"{"slide_id":"a","case_id":"a","label":"x","instances":3,"pack":0}"#.utf8))
        XCTAssertNil(slide.patchSize)
        let pack = try JSONDecoder().decode(PackReference.self, from: Data(#"{"path":"p","bags":1,"feature_dim":2,"dtype":"f32"}"#.utf8))
        XCTAssertNil(pack.geometry)
    }

    // MARK: - Contradictions are errors, one test each

    func testTridentAttributesThatDisagreeAreAnError() throws {
        XCTAssertThrowsMessage(
            try FeatureFiles.geometry(geometryFixture("trident_contradiction.h5"), slideID: "t"),
            "patch size contradicts itself", "patches of 1024 px from TRIDENT patch_size_level0",
            "patches of 512 px from TRIDENT patch_size × level0_magnification / target_magnification",
            "slide t", "trident_contradiction.h5")
    }

    func testPatchSizeOptionThatDisagreesWithTheFileIsAnError() throws {
        let ids = try features(["t40": FixturePaths.features("trident.h5")])
        XCTAssertThrowsMessage(
            try pack(ids, patchSize: 256), "patch size contradicts itself", "patches of 256 px from --patch-size",
            "slide t40")
    }

    func testPatchFileThatDisagreesWithTheFileIsAnError() throws {
        let ids = try features(["c1": FixturePaths.features("trident.h5")])  // 512 at level 0 vs the patch file's 512: agree
        XCTAssertEqual(try pack(ids, patches: geometryFixture("clam_patches")).slides.first?.patchSize, 512)
        try FileManager.default.removeItem(atPath: folder + "/work")
        try FileManager.default.removeItem(atPath: folder + "/feats/c1.h5")
        try FileManager.default.copyItem(atPath: geometryFixture("trident_20x.h5"), toPath: folder + "/feats/c1.h5")  // 256 vs 512
        XCTAssertThrowsMessage(
            try pack(ids, patches: geometryFixture("clam_patches")), "patch size contradicts itself",
            "patches of 256 px from TRIDENT", "patches of 512 px from patch file CLAM patch_size × downsample")
    }

    func testPixelPatchSizeForMicrometreCoordinatesIsAnError() throws {
        let ids = try features(["s": geometryFixture("stamp_v2.h5")])
        XCTAssertThrowsMessage(
            try pack(ids, patchSize: 224), "patch geometry contradicts itself", "patches of 256 µm from STAMP tile_size_um",
            "patches of 224 px from --patch-size", "slide s")
    }

    func testUnitThatIsNotMicrometresIsAnError() throws {
        XCTAssertThrowsMessage(
            try FeatureFiles.geometry(geometryFixture("stamp_bad_unit.h5"), slideID: "s"),
            "root attribute 'unit' is not 'um'", "slide s", "stamp_bad_unit.h5")
    }

    func testSlidesWhoseUnitsDifferCannotSharePack() throws {
        let ids = try features(["a": FixturePaths.features("trident.h5"), "b": geometryFixture("stamp_v2.h5")])
        XCTAssertThrowsMessage(try pack(ids), "slide b has coordinates in µm", "but slide a in px")
    }

    func testMissingPatchFileIsAnError() throws {
        let ids = try features(["nope": geometryFixture("clam_features/c1.h5")])
        XCTAssertThrowsMessage(try pack(ids, patches: geometryFixture("clam_patches")), "no patch file for slide nope", "clam_patches")
    }

    func testPatchFileWithoutGeometryIsAnError() throws {
        let ids = try features(["c1": geometryFixture("clam_features/c1.h5")])
        XCTAssertThrowsMessage(try pack(ids, patches: geometryFixture("clam_features")), "patch file has no patch_size", "slide c1")
    }
}
