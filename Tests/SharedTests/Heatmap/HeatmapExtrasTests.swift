import Foundation
import Shared
import XCTest

/// `--geojson` and `--top-k` on a generated slide: valid GeoJSON (closed rings, level-0 pixel coordinates,
/// attention as a measurement) and level-0 crops of the most attended patches.
final class HeatmapExtrasTests: XCTestCase {
    var fixture: HeatmapFixture!

    override func setUpWithError() throws {
        fixture = try HeatmapFixture()
    }

    func draw(_ slideID: String, x: [Double], y: [Double], attention: [Float], geometry: PackGeometry, topK: Int = 0) throws
        -> HeatmapRecord
    {
        let source = try fixture.attention(slideID, x: x, y: y, columns: ["fine:A": attention])
        var options = fixture.options()
        options.row = .label
        options.geoJSON = true
        options.topK = topK
        return try HeatmapJob.draw(
            source, document: fixture.document([(slideID, "A", x.count)], geometry: geometry), documentSource: "d",
            prediction: nil, options: options)
    }

    /// The features of a GeoJSON file, each checked to be a Polygon of one closed ring of 5 points.
    func features(_ path: String) throws -> [(ring: [[Double]], measurements: [String: Double])] {
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        XCTAssertEqual(json["type"] as? String, "FeatureCollection")
        let features = try XCTUnwrap(json["features"] as? [[String: Any]])
        return try features.map { feature in
            XCTAssertEqual(feature["type"] as? String, "Feature")
            let geometry = try XCTUnwrap(feature["geometry"] as? [String: Any])
            XCTAssertEqual(geometry["type"] as? String, "Polygon")
            let rings = try XCTUnwrap(geometry["coordinates"] as? [[[Double]]])
            XCTAssertEqual(rings.count, 1)
            let ring = rings[0]
            XCTAssertEqual(ring.count, 5)
            XCTAssertEqual(ring.first, ring.last, "a closed ring")
            let properties = try XCTUnwrap(feature["properties"] as? [String: Any])
            XCTAssertEqual(properties["objectType"] as? String, "tile")
            return (ring, try XCTUnwrap(properties["measurements"] as? [String: Double]))
        }
    }

    func testGeoJSONHasClosedRingsInLevel0Pixels() throws {
        try TestSlides.make(fixture.slides + "/g.tiff", width: 200, height: 100)
        let record = try draw(
            "g", x: [0, 40, 180], y: [0, 20, 80], attention: [0.125, 0.25, 0.625],
            geometry: PackGeometry(unit: .pixels, patchSize: 20, source: "test"))
        let found = try features(try XCTUnwrap(record.geojson))
        XCTAssertEqual(found.count, 3)
        XCTAssertEqual(found[1].ring, [[40, 20], [60, 20], [60, 40], [40, 40], [40, 20]])
        XCTAssertEqual(found[2].ring, [[180, 80], [200, 80], [200, 100], [180, 100], [180, 80]])
        XCTAssertEqual(found.map { $0.measurements["fine:A"] }, [0.125, 0.25, 0.625])
        for (feature, rank) in zip(found, [1.0 / 3, 2.0 / 3, 1]) {
            XCTAssertEqual(try XCTUnwrap(feature.measurements["fine:A rank"]), rank, accuracy: 1e-6)
        }
    }

    func testGeoJSONOfMicrometreCoordinatesIsInPixels() throws {
        try TestSlides.make(fixture.slides + "/u.tiff", width: 200, height: 100)  // 0.5 µm per pixel
        let record = try draw(
            "u", x: [10, 25.25], y: [5, 0], attention: [0.5, 0.5],
            geometry: PackGeometry(unit: .micrometres, patchSize: 8, source: "STAMP tile_size_um"))
        let found = try features(try XCTUnwrap(record.geojson))
        XCTAssertEqual(found[0].ring, [[20, 10], [36, 10], [36, 26], [20, 26], [20, 10]])
        XCTAssertEqual(found[1].ring[0], [50.5, 0])
    }

    func testTopPatchesAreLevel0CropsNamedByAttentionAndPosition() throws {
        try TestSlides.make(fixture.slides + "/t.tiff", width: 200, height: 100)
        let record = try draw(
            "t", x: [0, 90, 150], y: [0, 20, 40], attention: [0.25, 0.5, 0.25],
            geometry: PackGeometry(unit: .pixels, patchSize: 20, source: "test"), topK: 2)
        let names = try XCTUnwrap(record.topPatches).map { URL(fileURLWithPath: $0).lastPathComponent }
        XCTAssertEqual(names, ["top01_a0.5_x90_y20.png", "top02_a0.25_x0_y0.png"])
        let crop = try PNGFile.read(record.topPatches![0], channels: .rgb)
        XCTAssertEqual([crop.width, crop.height], [20, 20])
        // The patch at x 90…109 straddles the slide's halves (60 left of 100, 200 from 100): level-0 pixels, unshaded.
        XCTAssertEqual(Array(crop.pixel(x: 9, y: 0)), [60, 60, 60])
        XCTAssertEqual(Array(crop.pixel(x: 10, y: 19)), [200, 200, 200])
    }
}
