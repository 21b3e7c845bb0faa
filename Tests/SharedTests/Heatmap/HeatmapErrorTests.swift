import Foundation
import Shared
import XCTest

/// One test per error case of hmil-heatmap: a one-line error naming the slide; missing or unreadable slides
/// may be skipped (`--skip-missing`) while the others are drawn.
final class HeatmapErrorTests: XCTestCase {
    var fixture: HeatmapFixture!
    let geometry = PackGeometry(unit: .pixels, patchSize: 20, source: "test")

    override func setUpWithError() throws {
        fixture = try HeatmapFixture()
    }

    func drawLabel(_ source: AttentionSource, _ document: PipelineDocument, patchSize: Double? = nil) throws -> HeatmapRecord {
        var options = fixture.options()
        options.row = .label
        options.patchSize = patchSize
        return try HeatmapJob.draw(source, document: document, documentSource: "dataset.json", prediction: nil, options: options)
    }

    func testMissingSlide() throws {
        let source = try fixture.attention("gone", x: [0], y: [0], columns: ["fine:A": [1]])
        var options = fixture.options()
        options.row = .label
        XCTAssertThrowsMessage(
            try HeatmapJob.run(
                [source], document: fixture.document([("gone", "A", 1)], geometry: geometry),
                documentSource: "dataset.json", options: options),
            "no slide file for slide gone", fixture.slides, "--skip-missing")
    }

    func testUnreadableSlide() throws {
        try Data("not a slide at all".utf8).write(to: URL(fileURLWithPath: fixture.slides + "/junk.svs"))
        let source = try fixture.attention("junk", x: [0], y: [0], columns: ["fine:A": [1]])
        var options = fixture.options()
        options.row = .label
        XCTAssertThrowsMessage(
            try HeatmapJob.run(
                [source], document: fixture.document([("junk", "A", 1)], geometry: geometry),
                documentSource: "dataset.json", options: options),
            "not a slide OpenSlide can read", "slide junk", "junk.svs")
    }

    func testSkipMissingDrawsTheOtherSlides() throws {
        try TestSlides.make(fixture.slides + "/ok.tiff", width: 100, height: 100)
        try Data("not a slide at all".utf8).write(to: URL(fileURLWithPath: fixture.slides + "/junk.svs"))
        let sources = [
            try fixture.attention("gone", x: [0], y: [0], columns: ["fine:A": [1]]),
            try fixture.attention("junk", x: [0], y: [0], columns: ["fine:A": [1]]),
            try fixture.attention("ok", x: [0, 20], y: [0, 0], columns: ["fine:A": [0.3, 0.7]])
        ]
        var options = fixture.options()
        options.row = .label
        options.skipMissing = true
        let summary = try HeatmapJob.run(
            sources, document: fixture.document([("gone", "A", 1), ("junk", "A", 1), ("ok", "A", 2)], geometry: geometry),
            documentSource: "dataset.json", options: options)
        XCTAssertEqual(summary.slides.map(\.slideID), ["ok"])
        XCTAssertEqual(summary.skipped?.map(\.slideID), ["gone", "junk"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: fixture.out + "/ok.png"))
    }

    func testCoordinatesOutsideTheSlide() throws {
        try TestSlides.make(fixture.slides + "/s.tiff", width: 200, height: 100)
        let source = try fixture.attention("s", x: [0, 40, 500], y: [0, 20, 10], columns: ["fine:A": [0.2, 0.3, 0.5]])
        XCTAssertThrowsMessage(
            try drawLabel(source, fixture.document([("s", "A", 3)], geometry: geometry)),
            "patch 2 at (500, 10) px lies outside the 200×100 slide", "slide s", "s.tiff")
    }

    func testNoPatchSizeKnown() throws {
        try TestSlides.make(fixture.slides + "/s.tiff", width: 200, height: 100)
        let source = try fixture.attention("s", x: [0], y: [0], columns: ["fine:A": [1]])
        let document = fixture.document([("s", "A", 1)], geometry: nil)  // a pack from before geometry, or CLAM features alone
        XCTAssertThrowsMessage(try drawLabel(source, document), "no patch size known for slide s", "dataset.json", "--patch-size")
        XCTAssertEqual(try drawLabel(source, document, patchSize: 20).patches, 1, "--patch-size fills in")
    }

    func testPatchSizeThatContradictsTheDataset() throws {
        try TestSlides.make(fixture.slides + "/s.tiff", width: 200, height: 100)
        let source = try fixture.attention("s", x: [0], y: [0], columns: ["fine:A": [1]])
        XCTAssertThrowsMessage(
            try drawLabel(source, fixture.document([("s", "A", 1)], geometry: geometry), patchSize: 256),
            "patch size contradicts itself", "patches of 20 px from test", "patches of 256 px from --patch-size")
    }

    func testBagSizeThatDisagreesWithTheDataset() throws {
        try TestSlides.make(fixture.slides + "/s.tiff", width: 200, height: 100)
        let source = try fixture.attention("s", x: [0, 20], y: [0, 0], columns: ["fine:A": [0.5, 0.5]])
        XCTAssertThrowsMessage(
            try drawLabel(source, fixture.document([("s", "A", 5)], geometry: geometry)),
            "the attention file has 2 instances but the slide's bag has 5", "s.csv")
    }

    func testNoPredictionForThePredictedRow() throws {
        try TestSlides.make(fixture.slides + "/s.tiff", width: 200, height: 100)
        let source = try fixture.attention("s", x: [0], y: [0], columns: ["fine:A": [1]])
        XCTAssertThrowsMessage(
            try HeatmapJob.draw(
                source, document: fixture.document([("s", "A", 1)], geometry: geometry), documentSource: "d",
                prediction: nil, options: fixture.options()),
            "no prediction for slide s at the fine level", "--row label")
    }

    func testUnknownColumn() throws {
        try TestSlides.make(fixture.slides + "/s.tiff", width: 200, height: 100)
        let source = try fixture.attention("s", x: [0], y: [0], columns: ["fine:A": [1]])
        var options = fixture.options()
        options.row = .column("fine:Z")
        XCTAssertThrowsMessage(
            try HeatmapJob.draw(
                source, document: fixture.document([("s", "A", 1)], geometry: geometry), documentSource: "d",
                prediction: nil, options: options),
            "no attention column 'fine:Z'", "columns: fine:A")
    }

    func testAttentionFilesThatAreNotHmilEvalOutput() throws {
        XCTAssertThrowsMessage(
            try AttentionTable.parse(Array("a,b\n1,2\n".utf8), source: "f.csv"), "header must be instance,x,y", "f.csv, line 1")
        XCTAssertThrowsMessage(
            try AttentionTable.parse(Array("instance,x,y,attention\n0,1,2,0.5\n2,1,2,0.5\n".utf8), source: "f.csv"),
            "instance out of order (expected 1)", "f.csv, line 3")
        XCTAssertThrowsMessage(
            try AttentionTable.parse(Array("instance,x,y,attention\n0,1,2,abc\n".utf8), source: "f.csv"),
            "attention is 'abc', not a number", "line 2")
        XCTAssertThrowsMessage(
            try AttentionTable.parse(Array("instance,x,y,attention\n0,1,2\n".utf8), source: "f.csv"),
            "row has 3 fields, the header has 4")
        XCTAssertThrowsMessage(
            try AttentionTable.parse(Array("instance,x,y,attention\n0,1,2,-0.5\n".utf8), source: "f.csv"),
            "empty or negative")
        XCTAssertThrowsMessage(
            try AttentionTable.parse(Array("instance,x,y,attention\n0,1,,0.5\n".utf8), source: "f.csv"),
            "coordinates given for some instances and not others")
        XCTAssertThrowsMessage(try AttentionTable.parse(Array("instance,x,y,attention\n".utf8), source: "f.csv"), "no instances")
    }

    func testAttentionFilesAsHmilEvalWritesThem() throws {
        // A_c [Kc = 2, N = 2] and A_f [Kf = 3, N = 2], row-major.
        let output = BagOutput(
            instanceCount: 2, coarseLogits: [0, 0], fineLogits: [0, 0, 0], coarseAttention: [0.25, 0.75, 0.5, 0.5],
            fineAttention: [0.1, 0.9, 0.6, 0.4, 0.3, 0.7], embedding: [], embeddingWidth: 0)
        let text = AttentionCSV.encode(
            output: output, coordinates: .int32([10240, 4096, 0, 512]), coarseClasses: ["normal", "tumour, odd"],
            fineClasses: ["N", "A", "B"])
        let table = try AttentionTable.parse(Array(text.utf8), source: "t")
        XCTAssertEqual(table.columns, ["coarse:normal", "coarse:tumour, odd", "fine:N", "fine:A", "fine:B"])
        XCTAssertEqual(table.x, [10240, 0])
        XCTAssertEqual(table.y, [4096, 512])
        XCTAssertEqual(table.column("fine:A"), [0.6, 0.4])
        XCTAssertEqual(table.column("coarse:tumour, odd"), [0.5, 0.5])
        let none = AttentionCSV.encode(output: output, coordinates: nil, coarseClasses: ["normal", "tumour"], fineClasses: ["N", "A", "B"])
        XCTAssertNil(try AttentionTable.parse(Array(none.utf8), source: "t").x)
        // CRLF line ends and blank lines are fine.
        let crlf = try AttentionTable.parse(Array("instance,x,y,attention\r\n0,1.5,2,0.25\r\n\r\n1,3,4,0.75\r\n".utf8), source: "t")
        XCTAssertEqual(crlf.x, [1.5, 3])
        XCTAssertEqual(crlf.column("attention"), [0.25, 0.75])
    }
}
