import Foundation

/// What hmil-heatmap writes besides the picture: the patches as GeoJSON for QuPath, and level-0 crops of the
/// most attended patches.
public enum HeatmapExtras {
    /// A GeoJSON FeatureCollection with one closed square (or rectangle) per patch in level-0 pixels, the frame
    /// QuPath uses for a slide's objects, as `tile` objects whose measurements are the attention and its colour
    /// score (File ▸ Import objects, then Measure ▸ Show measurement maps).
    public static func geoJSON(
        _ patches: PatchRectangles, attention: [Float], scores: [Float], row: String,
        normalization: HeatmapNormalization
    ) -> String {
        precondition(attention.count == patches.count && scores.count == patches.count, "one value per patch")
        let (rowName, scoreName) = (quoted(row), quoted("\(row) \(normalization.rawValue)"))
        var text = "{\"type\":\"FeatureCollection\",\"features\":["
        text.reserveCapacity(patches.count * 260)
        for i in 0..<patches.count {
            let x0 = number(patches.x[i])
            let y0 = number(patches.y[i])
            let x1 = number(patches.x[i] + patches.width)
            let y1 = number(patches.y[i] + patches.height)
            if i > 0 { text += "," }
            text += "\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[["
            text += "[\(x0),\(y0)],[\(x1),\(y0)],[\(x1),\(y1)],[\(x0),\(y1)],[\(x0),\(y0)]]]},"
            text += "\"properties\":{\"objectType\":\"tile\",\"name\":\"patch \(i)\",\"measurements\":{"
            text += "\(rowName):\(attention[i].description),\(scoreName):\(scores[i].description)}}}"
        }
        return text + "\n]}\n"
    }

    /// A JSON string (class names are the user's: quotes and backslashes are escaped).
    static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }

    /// A level-0 pixel coordinate as JSON: whole numbers without a fraction, others to a thousandth.
    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.3f", value)
    }

    /// The `k` most attended patches (ties: the lower instance first) and their crops' file names:
    /// `top01_a<attention>_x<x>_y<y>.png`, with the level-0 pixel position of the patch's top-left corner.
    public static func topPatches(_ attention: [Float], patches: PatchRectangles, k: Int) -> [(instance: Int, name: String)] {
        let order = attention.indices.sorted { attention[$0] > attention[$1] || (attention[$0] == attention[$1] && $0 < $1) }
        let digits = String(min(k, order.count)).count
        return order.prefix(k).enumerated().map { rank, i in
            let place = String(rank + 1)
            let padded = String(repeating: "0", count: max(0, max(2, digits) - place.count)) + place
            let name = "top\(padded)_a\(attention[i].description)_x\(Int(patches.x[i].rounded()))_y\(Int(patches.y[i].rounded())).png"
            return (i, name)
        }
    }

    /// Reads each of the top patches at level 0 and writes it into `folder`.
    public static func writeTopPatches(
        _ top: [(instance: Int, name: String)], patches: PatchRectangles, slide: SlideFile,
        folder: String
    ) throws -> [String] {
        try top.map { instance, name in
            let crop = try slide.readRegion(
                x: Int(patches.x[instance].rounded()), y: Int(patches.y[instance].rounded()), level: 0,
                width: max(1, Int(patches.width.rounded())), height: max(1, Int(patches.height.rounded())))
            let path = folder + "/" + name
            try PNGFile.write(crop, to: path)
            return path
        }
    }
}
