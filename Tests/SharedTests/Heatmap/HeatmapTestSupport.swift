import Foundation
import Shared
import XCTest

/// Small generated slides for the heatmap tests: a picture written with libpng, made a tiled pyramidal TIFF by
/// libvips (`vips tiffsave --tile --pyramid`, Debian libvips-tools, which scripts/setup.sh installs), exactly as
/// the demo makes its slides, then read back through OpenSlide.
enum TestSlides {
    /// A slide of `width`×`height` whose left half is gray 60 and right half gray 200 (so a misplaced or
    /// mis-scaled picture shows), with `pixelsPerMillimetre` as its resolution (2000: 0.5 µm per pixel).
    static func make(_ path: String, width: Int, height: Int, pixelsPerMillimetre: (x: Double, y: Double) = (2000, 2000)) throws {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 { pixels[(y * width + x) * 3 + c] = x < width / 2 ? 60 : 200 }
            }
        }
        let png = path + ".png"
        try PNGFile.write(Raster(width: width, height: height, channels: .rgb, pixels: pixels), to: png)
        defer { try? FileManager.default.removeItem(atPath: png) }
        try vips([
            "tiffsave", png, path, "--tile", "--pyramid", "--tile-width", "64", "--tile-height", "64", "--compression", "deflate",
            "--xres", String(pixelsPerMillimetre.x), "--yres", String(pixelsPerMillimetre.y)
        ])
    }

    static func vips(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["vips"] + arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolError(
                "vips \(arguments.joined(separator: " ")) failed: \(text)", hint: "install Debian's libvips-tools (scripts/setup.sh does)")
        }
    }

    static let side = (left: UInt8(60), right: UInt8(200))
}

/// A small results folder as hmil-eval writes it, with a dataset document, for drawing slides end to end.
struct HeatmapFixture {
    let folder: String
    var slides: String { folder + "/slides" }
    var results: String { folder + "/results" }
    var out: String { folder + "/heatmaps" }
    let hierarchy = Hierarchy(coarse: ["normal", "tumour"], fine: ["N", "A", "B"], parent: ["N": "normal", "A": "tumour", "B": "tumour"])

    init() throws {
        folder = try FixturePaths.temporaryFolder()
        for sub in ["slides", "results/attention/fold_0", "results/test/fine", "results/test/coarse"] {
            try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
        }
    }

    /// Writes an attention file with one `fine:<class>` column per fine class (`columns` gives them) and the
    /// given coordinates.
    func attention(_ slideID: String, x: [Double], y: [Double], columns: [String: [Float]]) throws -> AttentionSource {
        let names = columns.keys.sorted()
        var text = "instance,x,y," + names.joined(separator: ",") + "\n"
        for i in x.indices {
            text += "\(i),\(PatchGeometryFormat.number(x[i])),\(PatchGeometryFormat.number(y[i]))"
            for name in names { text += "," + columns[name]![i].description }
            text += "\n"
        }
        let path = "\(results)/attention/fold_0/\(slideID).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return AttentionSource(slideID: slideID, fold: 0, path: path, results: results, external: false)
    }

    /// Writes the fine predictions of fold 0's test part: (slide, predicted class index, probability).
    func predictions(_ rows: [(String, Int, Double)]) throws {
        var text = "slide_id,Y,Y_hat,p_0,p_1,p_2\n"
        for (slide, predicted, p) in rows {
            var probabilities = [Double](repeating: (1 - p) / 2, count: 3)
            probabilities[predicted] = p
            text += "\(slide),0.0,\(Double(predicted)),\(probabilities.map(\.description).joined(separator: ","))\n"
        }
        try text.write(toFile: "\(results)/test/fine/fold_0.csv", atomically: true, encoding: .utf8)
    }

    /// A dataset document of `slides` (id, label, instance count) in fold 0's test part, with a pack geometry.
    func document(_ slides: [(String, String, Int)], geometry: PackGeometry?, patchSizes: [String: Double] = [:]) -> PipelineDocument {
        var document = PipelineDocument(
            format: PipelineDocument.datasetFormat, hierarchy: hierarchy, scheme: "kfold", seed: 1,
            slides: slides.map {
                SlideRecord(
                    slideID: $0.0, caseID: $0.0, label: $0.1, instances: $0.2, pack: 0,
                    patchSize: patchSizes[$0.0])
            },
            folds: [FoldRecord(fold: 0, train: [], val: [], test: slides.map(\.0))])
        document.packs = [PackReference(path: folder + "/bags.hbag", bags: slides.count, featureDim: 4, dtype: "f32", geometry: geometry)]
        return document
    }

    func options() -> HeatmapOptions {
        var options = HeatmapOptions(slidesFolder: slides, outFolder: out)
        options.quiet = true
        options.jobs = 2
        return options
    }
}

/// Coordinates as hmil-eval writes them (whole numbers without a fraction).
enum PatchGeometryFormat {
    static func number(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
}

/// The colour a pixel of score `score` is drawn in (alpha 1): jet's 256-entry table.
func jet(_ score: Double) -> [UInt8] {
    let c = Colormap.jetTable[Int((score * 255).rounded())]
    return [c.r, c.g, c.b]
}
