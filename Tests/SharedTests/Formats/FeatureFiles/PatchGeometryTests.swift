import Shared
import XCTest

/// Patch geometry read from the files each extractor writes (Fixtures/geometry/make_geometry_fixtures.py and
/// Fixtures/features/make_fixtures.py, both h5py).
final class PatchGeometryTests: XCTestCase {
    func geometryFixture(_ name: String) -> String { FixturePaths.path("geometry/" + name) }

    func testTridentCoordsAttributesGiveLevel0Pixels() throws {
        // patch_size_level0 = 512, and 256 px × 40 / 20 = 512: both sources agree.
        let geometry = try XCTUnwrap(FeatureFiles.geometry(FixturePaths.features("trident.h5"), slideID: "t"))
        XCTAssertEqual(geometry.unit, .pixels)
        XCTAssertEqual(geometry.patchSize, 512)
        XCTAssertEqual(geometry.source, "TRIDENT patch_size_level0 = TRIDENT patch_size × level0_magnification / target_magnification")
    }

    func testStampRootAttributesGiveMicrometres() throws {
        let geometry = try XCTUnwrap(FeatureFiles.geometry(geometryFixture("stamp_v2.h5"), slideID: "s"))
        XCTAssertEqual(geometry, PatchGeometry(unit: .micrometres, patchSize: 256, source: "STAMP tile_size_um"))
        // A fixed-length byte string as the unit, a float32 size.
        let fixed = try XCTUnwrap(FeatureFiles.geometry(geometryFixture("stamp_fixed_unit.h5"), slideID: "s"))
        XCTAssertEqual(fixed, PatchGeometry(unit: .micrometres, patchSize: 112, source: "STAMP tile_size_um"))
    }

    func testFilesWithoutAttributesSayNothing() throws {
        XCTAssertNil(try FeatureFiles.geometry(geometryFixture("clam_features/c1.h5"), slideID: "c1"))
        XCTAssertNil(try FeatureFiles.geometry(FixturePaths.features("clam.h5"), slideID: "c"))
        XCTAssertNil(try FeatureFiles.geometry(FixturePaths.features("stamp.h5"), slideID: "s"))  // STAMP before 2.1: no tile size
        XCTAssertNil(try FeatureFiles.geometry(FixturePaths.features("tensor_f32.pt"), slideID: "p"))
    }

    func testOneAttributeRuleEach() throws {
        // CLAM's downsample pair, truncated as CLAM's heatmap code does: int(256 × 1.9999) = 511.
        XCTAssertEqual(
            try FeatureFiles.geometry(geometryFixture("clam_odd_downsample.h5"), slideID: "c"),
            PatchGeometry(unit: .pixels, patchSize: 511, source: "CLAM patch_size × downsample"))
        // A patch level of 0 without a downsample: the size is already level-0 pixels.
        XCTAssertEqual(try FeatureFiles.geometry(geometryFixture("patch_level_0.h5"), slideID: "c")?.patchSize, 224)
        // A patch size at an unknown level places nothing.
        XCTAssertNil(try FeatureFiles.geometry(geometryFixture("patch_size_only.h5"), slideID: "c"))
        // STAMP 2.0 wrote no unit attribute: still micrometres.
        XCTAssertEqual(
            try FeatureFiles.geometry(geometryFixture("stamp_no_unit.h5"), slideID: "s"),
            PatchGeometry(unit: .micrometres, patchSize: 300, source: "STAMP tile_size_um"))
    }
}
