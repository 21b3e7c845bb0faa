import ArgumentParser
import Foundation
import Shared

/// The demo's slides: each bag's garments laid out in their grid, as a slide scanner would have photographed
/// them, so `make demo` draws heatmaps through OpenSlide exactly as for a user's slides. The features of the
/// demo are the garments' pixels (÷ 255) and its coordinates their places in the grid, so the feature files
/// are all a slide needs. This writes one RGB PNG per bag at level 0 (one garment = 28×28 pixels, the
/// coordinates' unit); pipelines/Makefile turns each into a tiled pyramidal TIFF with a resolution
/// (`vips tiffsave --tile --pyramid --xres`), which OpenSlide reads as a generic tiled TIFF.
@main
struct HmilDemoSlides: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hmil-demo-slides",
        abstract: "Draw each demo bag's garments in their grid as a PNG (<slide_id>.png), for vips to make slides of.")

    @Argument(help: ArgumentHelp("The demo's feature files (h5_files/ of hmil-demo-data).", valueName: "h5_files"))
    var features: String

    @Option(help: ArgumentHelp("Folder for the PNGs.", valueName: "folder"))
    var out: String

    @Flag(help: "No progress on stderr.")
    var quiet = false

    static let side = 28
    /// Grid cells without a garment: white, as glass without tissue.
    static let background: UInt8 = 255

    func run() throws {
        ToolRunner.run("hmil-demo-slides") {
            let names = try FileManager.default.contentsOfDirectory(atPath: features).filter { $0.hasSuffix(".h5") }.sorted()
            guard !names.isEmpty else { throw ToolError("no .h5 feature files", at: features, hint: "run hmil-demo-data first") }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let progress = Shared.Progress(
                tool: "hmil-demo-slides", label: "drawing slides", total: names.count, unit: "slides",
                quiet: quiet, lineInterval: 2)
            for name in names {
                let slideID = String(name.dropLast(3))
                let bag = try FeatureFiles.read(features + "/" + name, slideID: slideID)
                try PNGFile.write(try Self.picture(of: bag, source: features + "/" + name), to: "\(out)/\(slideID).png")
                progress.advance(note: slideID)
            }
            progress.finish(note: "\(names.count) slides → \(out)")
        }
    }

    /// The bag's garments at their coordinates, gray as photographed, on white.
    static func picture(of bag: Bag, source: String) throws -> Raster {
        guard bag.featureDim == side * side, case .int32(let coordinates)? = bag.coordinates else {
            throw ToolError("not a demo bag: expected 784 pixel features and int32 coordinates", at: source)
        }
        // The demo's grids are a few hundred pixels wide; a bound keeps a foreign file from asking for gigabytes.
        guard coordinates.allSatisfy({ (0...8192 - Int32(side)).contains($0) }) else {
            throw ToolError("coordinates outside 0…\(8192 - side)", at: source, hint: "slides are drawn for the demo's garment grids only")
        }
        let width = Int(stride(from: 0, to: coordinates.count, by: 2).map { coordinates[$0] }.max()!) + side
        let height = Int(stride(from: 1, to: coordinates.count, by: 2).map { coordinates[$0] }.max()!) + side
        var pixels = [UInt8](repeating: background, count: width * height * 3)
        for i in 0..<bag.instanceCount {
            let (x0, y0) = (Int(coordinates[2 * i]), Int(coordinates[2 * i + 1]))
            for y in 0..<side {
                for x in 0..<side {
                    let value = UInt8(max(0, min(255, (bag.features[i * side * side + y * side + x] * 255).rounded())))
                    let o = ((y0 + y) * width + x0 + x) * 3
                    pixels[o] = value
                    pixels[o + 1] = value
                    pixels[o + 2] = value
                }
            }
        }
        return Raster(width: width, height: height, channels: .rgb, pixels: pixels)
    }
}
