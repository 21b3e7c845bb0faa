import Foundation
import Shared
import XCTest

/// Golden tests on small generated slides (TestSlides: libpng → vips tiled pyramidal TIFF → OpenSlide): the
/// right pixels are coloured for known coordinates, at level 0 and at a downsampled level, and µm coordinates
/// land where the slide's resolution puts them.
final class HeatmapRenderingTests: XCTestCase {
    var fixture: HeatmapFixture!

    override func setUpWithError() throws {
        fixture = try HeatmapFixture()
    }

    /// A 200×100 slide (levels 200×100, 100×50, 50×25) with patches of 20 px at (0,0), (40,20), (180,80).
    func drawThreePatches(size: Int, alpha: Double = 1) throws -> (Raster, HeatmapRecord) {
        try TestSlides.make(fixture.slides + "/s1.tiff", width: 200, height: 100)
        let source = try fixture.attention(
            "s1", x: [0, 40, 180], y: [0, 20, 80], columns: ["fine:A": [0, 0.25, 0.5], "fine:B": [0.2, 0.3, 0.5]])
        try fixture.predictions([("s1", 1, 0.9)])
        let document = fixture.document([("s1", "A", 3)], geometry: PackGeometry(unit: .pixels, patchSize: 20, source: "test"))
        var options = fixture.options()
        options.normalization = .raw  // scores 0, 0.5, 1 of the predicted class A's row
        options.alpha = alpha
        options.size = size
        let prediction = SlidePrediction(className: "A", probability: 0.9, part: "test")
        let record = try HeatmapJob.draw(source, document: document, documentSource: "test", prediction: prediction, options: options)
        return (try PNGFile.read(record.png, channels: .rgb), record)
    }

    func testPatchesAreColouredWhereTheyLieAtLevel0() throws {
        let (picture, record) = try drawThreePatches(size: 200)
        XCTAssertEqual(record.slideLevel, 0)
        XCTAssertEqual([record.mapWidth, record.mapHeight], [200, 100])
        XCTAssertEqual(record.row, "fine:A")
        // Inside each patch: the jet colour of its score (alpha 1).
        XCTAssertEqual(Array(picture.pixel(x: 0, y: 0)), jet(0))
        XCTAssertEqual(Array(picture.pixel(x: 19, y: 19)), jet(0))
        XCTAssertEqual(Array(picture.pixel(x: 40, y: 20)), jet(0.5))
        XCTAssertEqual(Array(picture.pixel(x: 59, y: 39)), jet(0.5))
        XCTAssertEqual(Array(picture.pixel(x: 199, y: 99)), jet(1))
        XCTAssertEqual(Array(picture.pixel(x: 180, y: 80)), jet(1))
        // Just outside: the slide itself (left half 60, right half 200).
        XCTAssertEqual(Array(picture.pixel(x: 20, y: 0)), [60, 60, 60])
        XCTAssertEqual(Array(picture.pixel(x: 0, y: 20)), [60, 60, 60])
        XCTAssertEqual(Array(picture.pixel(x: 39, y: 20)), [60, 60, 60])
        XCTAssertEqual(Array(picture.pixel(x: 60, y: 39)), [60, 60, 60])
        XCTAssertEqual(Array(picture.pixel(x: 179, y: 80)), [200, 200, 200])
        XCTAssertEqual(Array(picture.pixel(x: 150, y: 50)), [200, 200, 200])
        // Coloured pixels: exactly the three 20×20 squares.
        let coloured = (0..<100).flatMap { y in (0..<200).map { x in (x, y) } }.filter { x, y in
            let p = Array(picture.pixel(x: x, y: y))
            return p != [60, 60, 60] && p != [200, 200, 200]
        }
        XCTAssertEqual(coloured.count, 3 * 400)
        // The legend sits under the map.
        XCTAssertGreaterThan(picture.height, 100)
    }

    func testPatchesAreColouredWhereTheyLieAtADownsampledLevel() throws {
        let (picture, record) = try drawThreePatches(size: 50)
        XCTAssertEqual(record.slideLevel, 2, "the coarsest level with 50×25 pixels")
        XCTAssertEqual([record.mapWidth, record.mapHeight], [50, 25])
        // The patch at (40, 20) of 20 px covers pixels 10…14 × 5…9 of the quarter-size map.
        XCTAssertEqual(Array(picture.pixel(x: 10, y: 5)), jet(0.5))
        XCTAssertEqual(Array(picture.pixel(x: 14, y: 9)), jet(0.5))
        XCTAssertEqual(Array(picture.pixel(x: 15, y: 9)), [60, 60, 60])
        XCTAssertEqual(Array(picture.pixel(x: 14, y: 10)), [60, 60, 60])
        XCTAssertEqual(Array(picture.pixel(x: 9, y: 5)), [60, 60, 60])
        XCTAssertEqual(Array(picture.pixel(x: 0, y: 0)), jet(0))
        XCTAssertEqual(Array(picture.pixel(x: 4, y: 4)), jet(0))
        XCTAssertEqual(Array(picture.pixel(x: 5, y: 4)), [60, 60, 60])
        XCTAssertEqual(Array(picture.pixel(x: 45, y: 20)), jet(1))
        XCTAssertEqual(Array(picture.pixel(x: 44, y: 20)), [200, 200, 200])
        // The same map read from level 0 and shrunk by the box average gives the same picture.
        var options = fixture.options()
        options.normalization = .raw
        options.alpha = 1
        options.size = 50
        options.slideLevel = 0
        let source = AttentionSource(
            slideID: "s1", fold: 0, path: "\(fixture.results)/attention/fold_0/s1.csv", results: fixture.results, external: false)
        let document = fixture.document([("s1", "A", 3)], geometry: PackGeometry(unit: .pixels, patchSize: 20, source: "test"))
        let fromLevel0 = try HeatmapJob.draw(
            source, document: document, documentSource: "test",
            prediction: SlidePrediction(className: "A", probability: 0.9, part: "test"), options: options)
        XCTAssertEqual(fromLevel0.slideLevel, 0)
        let shrunk = try PNGFile.read(fromLevel0.png, channels: .rgb)
        for (x, y) in [(10, 5), (15, 9), (0, 0), (44, 20), (45, 20), (30, 12)] {
            XCTAssertEqual(Array(shrunk.pixel(x: x, y: y)), Array(picture.pixel(x: x, y: y)), "(\(x), \(y))")
        }
    }

    func testAlphaBlendsColourOverTheSlide() throws {
        let (picture, _) = try drawThreePatches(size: 200, alpha: 0.5)
        let color = jet(0.5)
        XCTAssertEqual(Array(picture.pixel(x: 45, y: 25)), color.map { UInt8((Double($0) * 0.5 + 60 * 0.5).rounded()) })
        XCTAssertEqual(Array(picture.pixel(x: 25, y: 25)), [60, 60, 60])
    }

    func testMicrometreCoordinatesGoThroughTheSlideResolution() throws {
        // 2000 px/mm across, 1000 down: 0.5 µm per pixel in x, 1 µm in y.
        try TestSlides.make(fixture.slides + "/u1.tif", width: 200, height: 100, pixelsPerMillimetre: (2000, 1000))
        let slide = try SlideFile(path: fixture.slides + "/u1.tif", slideID: "u1")
        let mpp = try XCTUnwrap(slide.micronsPerPixel)
        XCTAssertEqual(mpp.x, 0.5, accuracy: 1e-9)
        XCTAssertEqual(mpp.y, 1.0, accuracy: 1e-9)
        let geometry = PatchGeometry(unit: .micrometres, patchSize: 10, source: "STAMP tile_size_um")
        let rectangles = try SlidePlacement.rectangles(x: [20, 50.5], y: [10, 60], geometry: geometry, slide: slide)
        XCTAssertEqual(rectangles, PatchRectangles(x: [40, 101], y: [10, 60], width: 20, height: 10))

        // Drawn: the first patch covers x 40…59, y 10…19 of level 0.
        let source = try fixture.attention("u1", x: [20, 50.5], y: [10, 60], columns: ["fine:A": [0.9, 0.1]])
        let document = fixture.document(
            [("u1", "A", 2)], geometry: PackGeometry(unit: .micrometres, patchSize: 10, source: "STAMP tile_size_um"))
        var options = fixture.options()
        options.row = .label
        options.alpha = 1
        options.size = 200
        let record = try HeatmapJob.draw(source, document: document, documentSource: "test", prediction: nil, options: options)
        let picture = try PNGFile.read(record.png, channels: .rgb)
        XCTAssertEqual(Array(picture.pixel(x: 40, y: 10)), jet(1))  // rank of the larger of two: 1
        XCTAssertEqual(Array(picture.pixel(x: 59, y: 19)), jet(1))
        XCTAssertEqual(Array(picture.pixel(x: 60, y: 19)), [60, 60, 60])
        XCTAssertEqual(Array(picture.pixel(x: 59, y: 20)), [60, 60, 60])
        XCTAssertEqual(Array(picture.pixel(x: 101, y: 60)), jet(0.5))  // rank 1 of 2 = 0.5
    }

    func testSlideLevelsAndPropertiesAsOpenSlideReportsThem() throws {
        try TestSlides.make(fixture.slides + "/p.tiff", width: 300, height: 130)
        let slide = try SlideFile(path: fixture.slides + "/p.tiff", slideID: "p")
        // vips halves until a level fits one 64-pixel tile; OpenSlide derives each downsample from the sizes.
        XCTAssertEqual(slide.levels.map(\.width), [300, 150, 75, 37])
        XCTAssertEqual(slide.levels.map(\.height), [130, 65, 32, 16])
        XCTAssertEqual(Array(slide.levels.map(\.downsample).prefix(2)), [1, 2])
        XCTAssertEqual(SlideThumbnail.level(width: 100, height: 43, of: slide), 1)
        XCTAssertEqual(SlideThumbnail.level(width: 600, height: 260, of: slide), 0)
        XCTAssertEqual(SlideThumbnail.size(longest: 100, slideWidth: 300, slideHeight: 130).height, 43)
        let region = try slide.readRegion(x: 148, y: 0, level: 0, width: 4, height: 1)
        XCTAssertEqual(region.pixels, [60, 60, 60, 60, 60, 60, 200, 200, 200, 200, 200, 200])
        XCTAssertEqual(try SlideFile.locate(slideID: "p", in: fixture.slides), fixture.slides + "/p.tiff")
        XCTAssertNil(try SlideFile.locate(slideID: "q", in: fixture.slides))
    }

    func testNormalisationsAndColourMap() {
        let values: [Float] = [0.1, 0.4, 0.4, 0.1, 0.0]
        // scipy.stats.rankdata([.1,.4,.4,.1,0], 'average') / 5 = [2.5, 4.5, 4.5, 2.5, 1] / 5
        XCTAssertEqual(HeatmapNormalization.rank.scores(values).scores, [0.5, 0.9, 0.9, 0.5, 0.2])
        XCTAssertEqual(HeatmapNormalization.raw.scores(values).scores, [0.25, 1, 1, 0.25, 0])
        // numpy.percentile([0, .1, .1, .4, .4], [1, 99]) = [0.004, 0.4]
        let percentile = HeatmapNormalization.percentile.scores(values)
        XCTAssertEqual(percentile.low, 0.004, accuracy: 1e-7)
        XCTAssertEqual(percentile.high, 0.4, accuracy: 1e-7)
        XCTAssertEqual(percentile.scores[4], 0)
        XCTAssertEqual(percentile.scores[1], 1)
        // matplotlib's _jet_data segments at 0, 0.5, 1, × 255: (0, 0, 127.5), (0.15/0.31, 1, 1 − 0.16/0.31) = (123.4, 255, 123.4), (127.5, 0, 0)
        func rgb(_ c: (r: UInt8, g: UInt8, b: UInt8)) -> [UInt8] { [c.r, c.g, c.b] }
        XCTAssertEqual(rgb(Colormap.jet(0)), [0, 0, 128])
        XCTAssertEqual(rgb(Colormap.jet(0.5)), [123, 255, 123])
        XCTAssertEqual(rgb(Colormap.jet(1)), [128, 0, 0])
        XCTAssertEqual(Colormap.jetTable.count, 256)
        XCTAssertEqual(rgb(Colormap.jetTable[128]), rgb(Colormap.jet(128.0 / 255)))
    }

    func testPNGRoundTripAndText() throws {
        var raster = Raster(width: 40, height: 16, channels: .rgb, fill: [255, 255, 255])
        BitmapFont.draw("Hi µm", x: 0, y: 0, scale: 1, color: [0, 0, 0], on: &raster)
        let bytes = try PNGFile.encode(raster)
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertEqual(try PNGFile.decode(bytes, channels: .rgb, source: "t"), raster)
        XCTAssertTrue(raster.pixels.contains(0), "text was drawn")
        let gray = Raster(width: 3, height: 2, channels: .gray, pixels: [0, 50, 100, 150, 200, 255])
        XCTAssertEqual(try PNGFile.decode(PNGFile.encode(gray, fast: true), channels: .gray, source: "t"), gray)
        XCTAssertThrowsMessage(try PNGFile.decode([1, 2, 3], channels: .rgb, source: "bad.png"), "not a readable PNG", "bad.png")
        // Noise does not compress: the output buffer must still be large enough, fast or not.
        var rng = SeededGenerator(seed: 3)
        let noise = Raster(
            width: 301, height: 203, channels: .rgb, pixels: (0..<301 * 203 * 3).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        for fast in [false, true] {
            XCTAssertEqual(try PNGFile.decode(PNGFile.encode(noise, fast: fast), channels: .rgb, source: "noise"), noise)
        }
    }
}
