import Foundation
import Shared

/// An SVG of a few test bags (rows) under each run (columns): the bag's garments in their grid (the
/// features are the 784 pixels, read back from the pack), the attention of the bag's true fine class as a
/// red overlay (opacity ∝ attention / the bag's largest), key garments framed in green.
struct BagPicture {
    static let tile = 28  // pixels of one garment
    static let gap = 16
    static let captionHeight = 30

    let runs: [RunResults]
    let instances: InstanceLabels

    /// The first test bag of fold 0 (else the lowest fold) of each fine class with key garments, up to `count`.
    static func chooseBags(run: RunResults, normalClasses: Set<String>, count: Int) -> [String] {
        let labels = run.labels
        guard let fold = run.testFold.values.min() else { return [] }
        let ids = run.testFold.filter { $0.value == fold }.keys.sorted()
        var chosen: [String] = []
        for fine in run.document.hierarchy.fine where !normalClasses.contains(fine) && chosen.count < count {
            if let id = ids.first(where: { labels[$0] == fine }) { chosen.append(id) }
        }
        return chosen
    }

    func svg(slideIDs: [String]) throws -> String {
        let first = runs[0]
        let labels = first.labels
        let bags = try slideIDs.map { try readBag($0, document: first.document) }
        let columnWidth = (bags.map(\.width).max() ?? BagPicture.tile) + BagPicture.gap
        // Each row as tall as its bag: the bag's caption, its grid, the runs' captions under it.
        var tops = [60]
        for bag in bags { tops.append(tops.last! + bag.height + 2 * BagPicture.captionHeight + BagPicture.gap) }
        let width = max(560, BagPicture.gap + runs.count * columnWidth)
        let height = tops.last!
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="\(width * 3 / 2)" \
            height="\(height * 3 / 2)" viewBox="0 0 \(width) \(height)" font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(BagPicture.gap)" y="18" font-size="13" font-weight="bold">Test bags: attention of the bag's true fine class</text>
            <text x="\(BagPicture.gap)" y="34"><tspan fill="#d50000">red</tspan>: attention (opacity ∝ attention / the bag's largest); \
            <tspan fill="#00a84f">green frame</tspan>: key garment</text>\n
            """
        for (c, run) in runs.enumerated() {
            svg += "<text x=\"\(BagPicture.gap + c * columnWidth)\" y=\"54\" font-size=\"13\" font-weight=\"bold\">\(run.name)</text>\n"
        }
        svg += "<defs>\n"
        for (b, bag) in bags.enumerated() {
            let png = try PNGFile.encode(
                Raster(width: bag.width, height: bag.height, channels: .gray, pixels: bag.pixels),
                source: "bag \(bag.slideID)")
            svg +=
                "<image id=\"bag\(b)\" width=\"\(bag.width)\" height=\"\(bag.height)\" style=\"image-rendering:pixelated\" "
                + "xlink:href=\"data:image/png;base64,\(Data(png).base64EncodedString())\"/>\n"
        }
        svg += "</defs>\n"

        for (b, bag) in bags.enumerated() {
            let top = tops[b]
            let label = labels[bag.slideID] ?? "?"
            let keys = try instances.flags(of: bag.slideID, instanceCount: bag.count) ?? []
            svg +=
                "<text x=\"\(BagPicture.gap)\" y=\"\(top + 14)\" font-weight=\"bold\">\(bag.slideID): \(label) "
                + "(\(first.document.hierarchy.parent[label] ?? "?")), \(keys.filter { $0 }.count) key of \(bag.count) garments</text>\n"
            for (c, run) in runs.enumerated() {
                let x = BagPicture.gap + c * columnWidth
                let y = top + BagPicture.captionHeight
                svg += "<use xlink:href=\"#bag\(b)\" x=\"\(x)\" y=\"\(y)\"/>\n"
                let path = run.attentionPath(slideID: bag.slideID) ?? ""
                let row = try AttentionTable.read(path).fineRow(for: label, source: path)
                guard row.count == bag.count, keys.count == bag.count else {
                    throw ToolError("attention, instance labels and pack disagree on the size of bag \(bag.slideID)", at: path)
                }
                let largest = row.max() ?? 1
                for i in 0..<bag.count {
                    let (gx, gy) = (x + bag.coordinates[2 * i], y + bag.coordinates[2 * i + 1])
                    let opacity = largest > 0 ? 0.8 * row[i] / largest : 0
                    if opacity >= 0.02 {
                        svg +=
                            "<rect x=\"\(gx)\" y=\"\(gy)\" width=\"28\" height=\"28\" fill=\"#ff1744\" "
                            + String(format: "fill-opacity=\"%.2f\"/>\n", opacity)
                    }
                    if keys[i] {
                        svg +=
                            "<rect x=\"\(gx + 1)\" y=\"\(gy + 1)\" width=\"26\" height=\"26\" fill=\"none\" stroke=\"#00e676\" stroke-width=\"2\"/>\n"
                    }
                }
                let bagAUC = InstanceAttentionScores.bagAUC(attention: row.map { Float($0) }, isKey: keys)
                let predicted = run.predictedFine[bag.slideID].map { "predicted \($0) \($0 == label ? "✓" : "✗")" } ?? ""
                let auc = bagAUC.map { String(format: "key AUC %.2f", $0) } ?? ""
                svg +=
                    "<text x=\"\(x)\" y=\"\(y + bag.height + 14)\">\([predicted, auc].filter { !$0.isEmpty }.joined(separator: ", "))</text>\n"
            }
        }
        return svg + "</svg>\n"
    }

    /// A bag's garments as one grayscale image laid out by the bag's coordinates (pixel positions of 28×28 tiles).
    struct BagImage {
        var slideID: String
        var count: Int
        var coordinates: [Int]  // [N, 2]
        var width: Int
        var height: Int
        var pixels: [UInt8]
    }

    private func readBag(_ slideID: String, document: PipelineDocument) throws -> BagImage {
        guard let packs = document.packs, !packs.isEmpty else {
            throw ToolError("the document names no pack", at: "\(runs[0].folder)/eval.json")
        }
        let slide = document.slides.first { $0.slideID == slideID }
        let pack = packs[min(slide?.pack ?? 0, packs.count - 1)].path
        let bag = try PackReader(path: pack).readBag(slideID)
        let side = BagPicture.tile
        guard bag.featureDim == side * side else {
            throw ToolError("bag \(slideID) has \(bag.featureDim) features, not the 784 pixels of a garment", at: pack)
        }
        let coordinates: [Int]
        switch bag.coordinates {
        case .int32(let values)?: coordinates = values.map { Int($0) }
        default: throw ToolError("bag \(slideID) has no pixel coordinates", at: pack)
        }
        // A picture, not a slide: the demo's grids are at most a few hundred pixels wide. Capping the
        // coordinates caps the image (4096² bytes) whatever the pack says.
        guard coordinates.allSatisfy({ (0...4096 - side).contains($0) }) else {
            throw ToolError(
                "bag \(slideID) has coordinates outside 0…\(4096 - side)", at: pack,
                hint: "pictures are drawn for the demo's garment grids only")
        }
        let width = (stride(from: 0, to: coordinates.count, by: 2).map { coordinates[$0] }.max() ?? 0) + side
        let height = (stride(from: 1, to: coordinates.count, by: 2).map { coordinates[$0] }.max() ?? 0) + side
        var pixels = [UInt8](repeating: 40, count: width * height)  // empty grid cells dark gray
        for i in 0..<bag.instanceCount {
            let (x0, y0) = (coordinates[2 * i], coordinates[2 * i + 1])
            for y in 0..<side {
                for x in 0..<side {
                    let v = bag.features[i * side * side + y * side + x]
                    pixels[(y0 + y) * width + x0 + x] = UInt8(max(0, min(255, (v * 255).rounded())))
                }
            }
        }
        return BagImage(
            slideID: slideID, count: bag.instanceCount, coordinates: coordinates, width: width, height: height,
            pixels: pixels)
    }
}
