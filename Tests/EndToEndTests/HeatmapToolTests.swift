import Foundation
import Shared
import TestSupport
import XCTest

/// The built `hmil-heatmap` on a results folder as hmil-eval writes it and slides made by vips: the summary on
/// stdout and in --out, the pictures, one-line errors and exit codes, and --skip-missing.
final class HeatmapToolTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "heatmap-tool-\(UUID().uuidString)"
        for sub in ["slides", "results/attention/fold_0", "results/attention/fold_1", "results/test/fine", "results/val/fine"] {
            try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
        }
        // Two slides of 120×80 pixels, each with three patches of 40 px; s2 is tested in fold 0 and a val slide of fold 1.
        for slide in ["s1", "s2"] {
            let png = "\(folder)/\(slide).png"
            try PNGFile.write(Raster(width: 120, height: 80, channels: .rgb, fill: [230, 200, 220]), to: png)
            let vips = try ToolProcess.run(
                URL(fileURLWithPath: "/usr/bin/env"),
                [
                    "vips", "tiffsave", png, "\(folder)/slides/\(slide).tiff", "--tile", "--pyramid",
                    "--tile-width", "64", "--tile-height", "64", "--xres", "2000", "--yres", "2000"
                ])
            XCTAssertEqual(vips.status, 0, "vips (Debian libvips-tools) makes the test slides: \(vips.stderr)")
        }
        let header = "instance,x,y,coarse:benign,coarse:malignant,fine:N,fine:UDH,fine:DCIS\n"
        let rows = "0,0,0,0.2,0.1,0.2,0.3,0.1\n1,40,0,0.3,0.2,0.3,0.3,0.2\n2,80,40,0.5,0.7,0.5,0.4,0.7\n"
        for (fold, slide) in [(0, "s1"), (0, "s2"), (1, "s2")] {
            try (header + rows).write(toFile: "\(folder)/results/attention/fold_\(fold)/\(slide).csv", atomically: true, encoding: .utf8)
        }
        try "slide_id,Y,Y_hat,p_0,p_1,p_2\ns1,2.0,2.0,0.1,0.1,0.8\ns2,0.0,1.0,0.3,0.6,0.1\n"
            .write(toFile: "\(folder)/results/test/fine/fold_0.csv", atomically: true, encoding: .utf8)
        try "slide_id,Y,Y_hat,p_0,p_1,p_2\ns2,0.0,0.0,0.7,0.2,0.1\n".write(
            toFile: "\(folder)/results/val/fine/fold_1.csv", atomically: true, encoding: .utf8)
        let hierarchy = Hierarchy(
            coarse: ["benign", "malignant"], fine: ["N", "UDH", "DCIS"],
            parent: ["N": "benign", "UDH": "benign", "DCIS": "malignant"])
        var document = PipelineDocument(
            format: PipelineDocument.datasetFormat, hierarchy: hierarchy, scheme: "kfold", seed: 1,
            slides: [
                SlideRecord(slideID: "s1", caseID: "a", label: "DCIS", instances: 3, pack: 0),
                SlideRecord(slideID: "s2", caseID: "b", label: "N", instances: 3, pack: 0)
            ],
            folds: [
                FoldRecord(fold: 0, train: [], val: [], test: ["s1", "s2"]),
                FoldRecord(fold: 1, train: ["s1"], val: ["s2"], test: [])
            ])
        document.packs = [
            PackReference(
                path: "bags.hbag", bags: 2, featureDim: 4, dtype: "f32",
                geometry: PackGeometry(unit: .pixels, patchSize: 40, source: "--patch-size"))
        ]
        try DocumentIO.encode(document).write(to: URL(fileURLWithPath: "\(folder)/results/eval.json"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func heatmap(_ arguments: [String]) throws -> ToolRun {
        try BuiltTool.run("hmil-heatmap", arguments, in: URL(fileURLWithPath: folder))
    }

    func testDrawsEverySlideFromTheFoldThatTestedIt() throws {
        let run = try heatmap(["results", "--slides", "slides", "--out", "maps", "--quiet", "--top-k", "1", "--geojson", "--size", "600"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stderr, "")
        let summary = try JSONDecoder().decode(HeatmapsDocument.self, from: run.stdout)
        XCTAssertEqual(summary.format, "hmil.heatmaps/1")
        XCTAssertEqual(summary.slides.map(\.slideID), ["s1", "s2"])
        XCTAssertEqual(summary.slides.map(\.fold), [0, 0], "s2 from fold 0, which tested it, not fold 1")
        XCTAssertEqual(summary.slides.map(\.row), ["fine:DCIS", "fine:UDH"], "the predicted class's row")
        XCTAssertEqual(summary.slides.map(\.predicted), ["DCIS", "UDH"])
        // The saved copy names the pictures from maps/, stdout from the working directory.
        let saved = try JSONDecoder().decode(
            HeatmapsDocument.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/maps/heatmaps.json")))
        XCTAssertEqual(saved.slides.map(\.png), ["s1.png", "s2.png"])
        XCTAssertEqual(summary.slides.map(\.png), ["maps/s1.png", "maps/s2.png"])
        XCTAssertEqual(saved.resolvingPaths(readFrom: "maps/heatmaps.json"), summary)
        let picture = try PNGFile.read(folder + "/maps/s1.png", channels: .rgb)
        XCTAssertEqual(summary.slides[0].mapWidth, 600, "small slides are enlarged to --size")
        XCTAssertEqual(summary.slides[0].mapHeight, 400)
        XCTAssertEqual(picture.width, 600)
        XCTAssertGreaterThan(picture.height, 400, "the legend under the map")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/maps/s1.geojson"))
        XCTAssertEqual(summary.slides[0].topPatches?.map { URL(fileURLWithPath: $0).lastPathComponent }, ["top01_a0.7_x80_y40.png"])

        // Another fold, row, level and normalisation.
        let other = try heatmap([
            "results", "--slides", "slides", "--out", "maps1", "--quiet", "--fold", "1", "--level", "coarse",
            "--row", "label", "--normalize", "raw", "--size", "240"
        ])
        XCTAssertEqual(other.status, 0, other.stderr)
        let one = try JSONDecoder().decode(HeatmapsDocument.self, from: other.stdout)
        XCTAssertEqual(one.slides.map(\.slideID), ["s2"])
        XCTAssertEqual(one.slides.first?.row, "coarse:benign")
        XCTAssertEqual(one.slides.first?.part, "val")
        XCTAssertEqual(one.slides.first?.mapWidth, 240)
    }

    func testExternalSlidesWithTheirOwnDataset() throws {
        // hmil-eval --dataset: RESULTS/external/attention and external/<level>/fold_<k>.csv, where Y is empty for an
        // unlabelled slide; the slides' geometry is in that dataset document, not in eval.json.
        for sub in ["results/external/attention/fold_0", "results/external/fine"] {
            try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: folder + "/slides/s1.tiff", toPath: folder + "/slides/e1.tiff")
        try "instance,x,y,attention\n0,0,0,0.25\n1,40,20,0.75\n"
            .write(toFile: folder + "/results/external/attention/fold_0/e1.csv", atomically: true, encoding: .utf8)
        try "slide_id,Y,Y_hat,p_0,p_1,p_2\ne1,,2.0,0.1,0.2,0.7\n"
            .write(toFile: folder + "/results/external/fine/fold_0.csv", atomically: true, encoding: .utf8)
        var external = try DocumentIO.decode(
            PipelineDocument.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/results/eval.json")), source: "e")
        external.slides = [SlideRecord(slideID: "e1", caseID: "e1", label: "", instances: 2, pack: 0)]
        external.folds = []
        external.packs?[0].geometry = PackGeometry(unit: .micrometres, patchSize: 20, source: "STAMP tile_size_um")  // 40 px at 0.5 µm/px
        try DocumentIO.encode(external).write(to: URL(fileURLWithPath: folder + "/external.json"))

        let run = try heatmap([
            "results", "--external", "--dataset", "external.json", "--slides", "slides", "--out", "ext", "--quiet",
            "--size", "120", "--alpha", "1", "--normalize", "raw"
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        let summary = try JSONDecoder().decode(HeatmapsDocument.self, from: run.stdout)
        XCTAssertEqual(summary.slides.map(\.slideID), ["e1"])
        XCTAssertEqual(summary.slides.first?.part, "external")
        XCTAssertEqual(summary.slides.first?.predicted, "DCIS")
        XCTAssertNil(summary.slides.first?.label)
        let picture = try PNGFile.read(folder + "/ext/e1.png", channels: .rgb)
        let hot = Colormap.jetTable[255]
        XCTAssertEqual(
            Array(picture.pixel(x: 80, y: 40)), [hot.r, hot.g, hot.b], "µm through the slide's resolution: (40, 20) µm = (80, 40) px")
        XCTAssertEqual(Array(picture.pixel(x: 119, y: 79)), [hot.r, hot.g, hot.b])
        XCTAssertEqual(Array(picture.pixel(x: 79, y: 40)), [230, 200, 220])

        let withoutDataset = try heatmap(["results", "--external", "--slides", "slides", "--out", "ext"])
        XCTAssertNotEqual(withoutDataset.status, 0)
        XCTAssertTrue(withoutDataset.stderr.contains("--external needs --dataset"), withoutDataset.stderr)
    }

    func testAMissingSlideIsAOneLineErrorOrSkipped() throws {
        try FileManager.default.removeItem(atPath: folder + "/slides/s2.tiff")
        let failed = try heatmap(["results", "--slides", "slides", "--out", "maps", "--quiet"])
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.stderr.hasPrefix("hmil-heatmap: error: no slide file for slide s2 (slides) — "), failed.stderr)
        XCTAssertEqual(failed.stderr.filter { $0 == "\n" }.count, 1, failed.stderr)
        XCTAssertTrue(failed.stdout.isEmpty)

        let skipped = try heatmap(["results", "--slides", "slides", "--out", "maps", "--skip-missing"])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("hmil-heatmap: warning: no slide file for slide s2"), skipped.stderr)
        let summary = try JSONDecoder().decode(HeatmapsDocument.self, from: skipped.stdout)
        XCTAssertEqual(summary.slides.map(\.slideID), ["s1"])
        XCTAssertEqual(summary.skipped?.map(\.slideID), ["s2"])
    }

    func testBadOptionsAndInputs() throws {
        let alpha = try heatmap(["results", "--slides", "slides", "--out", "maps", "--alpha", "2"])
        XCTAssertNotEqual(alpha.status, 0)
        XCTAssertTrue(alpha.stderr.contains("--alpha must be between 0 and 1"), alpha.stderr)
        let normalize = try heatmap(["results", "--slides", "slides", "--out", "maps", "--normalize", "loud"])
        XCTAssertNotEqual(normalize.status, 0)
        let nowhere = try heatmap(["nowhere", "--slides", "slides", "--out", "maps"])
        XCTAssertEqual(nowhere.status, 1)
        XCTAssertTrue(nowhere.stderr.hasPrefix("hmil-heatmap: error: no such file or folder (nowhere)"), nowhere.stderr)
        try FileManager.default.removeItem(atPath: folder + "/results/eval.json")
        let noDocument = try heatmap(["results", "--slides", "slides", "--out", "maps"])
        XCTAssertEqual(noDocument.status, 1)
        XCTAssertTrue(noDocument.stderr.contains("cannot open dataset document"), noDocument.stderr)
    }
}
