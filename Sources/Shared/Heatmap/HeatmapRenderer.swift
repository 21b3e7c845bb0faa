/// Patches as rectangles in level-0 pixels of their slide: top-left corners, and one size for all (a µm patch
/// becomes a rectangle when the slide's pixels are not square).
public struct PatchRectangles: Sendable, Equatable {
    public var x: [Double]
    public var y: [Double]
    public var width: Double
    public var height: Double

    public init(x: [Double], y: [Double], width: Double, height: Double) {
        precondition(x.count == y.count, "one x and one y per patch")
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var count: Int { x.count }
}

/// The caption under a heatmap: text lines, then the colour bar with its title and end labels.
public struct HeatmapLegend: Sendable, Equatable {
    public var lines: [String]
    public var barTitle: String
    public var barLeft: String
    public var barRight: String

    public init(lines: [String], barTitle: String, barLeft: String, barRight: String) {
        self.lines = lines
        self.barTitle = barTitle
        self.barLeft = barLeft
        self.barRight = barRight
    }
}

/// Draws attention on a slide's picture: each patch's rectangle, scaled from level-0 pixels to the picture,
/// is filled with the jet colour of its score, blended over the slide (`alpha` of colour); where patches overlap
/// (TRIDENT's `overlap`), a pixel shows the mean of their scores, as CLAM's heatmaps do. Rectangle edges are
/// rounded to the nearest pixel edge, so neighbouring patches tile without gaps, and no patch is drawn narrower
/// than one pixel.
public enum HeatmapRenderer {
    public static func overlay(
        _ base: Raster, patches: PatchRectangles, scores: [Float], slideWidth: Int, slideHeight: Int,
        alpha: Double
    ) -> Raster {
        precondition(base.channels == .rgb && scores.count == patches.count, "an RGB picture and one score per patch")
        let (width, height) = (base.width, base.height)
        let sx = Double(width) / Double(slideWidth)
        let sy = Double(height) / Double(slideHeight)
        var sum = [Float](repeating: 0, count: width * height)
        var count = [Float](repeating: 0, count: width * height)
        sum.withUnsafeMutableBufferPointer { sum in
            count.withUnsafeMutableBufferPointer { count in
                for i in 0..<patches.count {
                    let (x0, x1) = span(patches.x[i], patches.width, scale: sx, limit: width)
                    let (y0, y1) = span(patches.y[i], patches.height, scale: sy, limit: height)
                    guard x0 < x1, y0 < y1 else { continue }
                    let score = scores[i]
                    for row in y0..<y1 {
                        let offset = row * width
                        for column in x0..<x1 {
                            sum[offset + column] += score
                            count[offset + column] += 1
                        }
                    }
                }
            }
        }
        var out = base
        let keep = 1 - alpha
        out.pixels.withUnsafeMutableBufferPointer { pixels in
            for p in 0..<width * height where count[p] > 0 {
                let score = Double(sum[p] / count[p])
                let color = Colormap.jetTable[Int((min(1, max(0, score)) * 255).rounded())]
                pixels[3 * p] = blend(pixels[3 * p], color.r, keep: keep, alpha: alpha)
                pixels[3 * p + 1] = blend(pixels[3 * p + 1], color.g, keep: keep, alpha: alpha)
                pixels[3 * p + 2] = blend(pixels[3 * p + 2], color.b, keep: keep, alpha: alpha)
            }
        }
        return out
    }

    /// Output pixels [first, end) covered by a patch from `start` of length `length` (level-0 pixels).
    static func span(_ start: Double, _ length: Double, scale: Double, limit: Int) -> (Int, Int) {
        let first = Int((start * scale).rounded())
        let end = max(first + 1, Int(((start + length) * scale).rounded()))
        return (max(0, first), min(limit, end))
    }

    private static func blend(_ base: UInt8, _ color: UInt8, keep: Double, alpha: Double) -> UInt8 {
        UInt8(min(255, max(0, (Double(base) * keep + Double(color) * alpha).rounded())))
    }

    /// The picture a user sees: the map at the top left (its pixels unchanged), the legend under it on white.
    public static func picture(map: Raster, legend: HeatmapLegend) -> Raster {
        let scale = map.width >= 1400 ? 2 : 1
        let margin = 8 * scale
        let lineHeight = 16 * scale
        let barHeight = 14 * scale
        let texts = legend.lines + [legend.barTitle, legend.barLeft + "   " + legend.barRight]
        let textWidth = texts.map { BitmapFont.width(of: $0, scale: scale) }.max() ?? 0
        let width = max(map.width, textWidth + 2 * margin, 160 * scale + 2 * margin)
        let barWidth = min(width - 2 * margin, 512 * scale)
        let panel = margin + (legend.lines.count + 2) * lineHeight + barHeight + 2 * scale + margin
        var out = Raster(width: width, height: map.height + panel, channels: .rgb, fill: [255, 255, 255])
        for row in 0..<map.height {
            let from = row * map.width * 3
            let to = row * width * 3
            out.pixels.replaceSubrange(to..<to + map.width * 3, with: map.pixels[from..<from + map.width * 3])
        }
        let black: [UInt8] = [0, 0, 0]
        var y = map.height + margin
        for line in legend.lines {
            BitmapFont.draw(line, x: margin, y: y, scale: scale, color: black, on: &out)
            y += lineHeight
        }
        BitmapFont.draw(legend.barTitle, x: margin, y: y, scale: scale, color: black, on: &out)
        y += lineHeight
        for bx in 0..<barWidth {
            let color = Colormap.jetTable[barWidth > 1 ? bx * 255 / (barWidth - 1) : 255]
            for by in y..<y + barHeight {
                let o = (by * width + margin + bx) * 3
                out.pixels[o] = color.r
                out.pixels[o + 1] = color.g
                out.pixels[o + 2] = color.b
            }
        }
        y += barHeight + 2 * scale
        BitmapFont.draw(legend.barLeft, x: margin, y: y, scale: scale, color: black, on: &out)
        BitmapFont.draw(
            legend.barRight, x: margin + barWidth - BitmapFont.width(of: legend.barRight, scale: scale), y: y,
            scale: scale, color: black, on: &out)
        return out
    }
}
