/// A slide's picture at a chosen size, read from one pyramid level: by default the coarsest level that still
/// has at least as many pixels as the picture (so the pyramid does the shrinking and the rest is a box average
/// of at most a few source pixels per output pixel), or a level the user names.
public enum SlideThumbnail {
    /// Width and height of a picture whose longest side is `longest`, with the slide's aspect ratio.
    public static func size(longest: Int, slideWidth: Int, slideHeight: Int) -> (width: Int, height: Int) {
        if slideWidth >= slideHeight {
            return (longest, max(1, Int((Double(longest) * Double(slideHeight) / Double(slideWidth)).rounded())))
        }
        return (max(1, Int((Double(longest) * Double(slideWidth) / Double(slideHeight)).rounded())), longest)
    }

    /// The coarsest level at least `width`×`height` pixels; level 0 when even it is smaller.
    public static func level(width: Int, height: Int, of slide: SlideFile) -> Int {
        slide.levels.indices.last { slide.levels[$0].width >= width && slide.levels[$0].height >= height } ?? 0
    }

    /// Rows read per OpenSlide call: bounded memory whatever the level's size.
    static let stripPixels = 8 << 20

    /// Reads `level` of the slide and scales it to `width`×`height`: a box average when shrinking (each output
    /// pixel the mean of the source pixels that map onto it), nearest neighbour when enlarging (a slide smaller
    /// than the picture, as the demo's are).
    public static func read(_ slide: SlideFile, level: Int, width: Int, height: Int) throws -> Raster {
        let source = slide.levels[level]
        let (w, h) = (source.width, source.height)
        if width > w || height > h {
            let whole = try slide.readRegion(x: 0, y: 0, level: level, width: w, height: h)
            var out = [UInt8](repeating: 0, count: width * height * 3)
            for oy in 0..<height {
                let sy = min(h - 1, oy * h / height)
                for ox in 0..<width {
                    let sx = min(w - 1, ox * w / width)
                    for c in 0..<3 { out[(oy * width + ox) * 3 + c] = whole.pixels[(sy * w + sx) * 3 + c] }
                }
            }
            return Raster(width: width, height: height, channels: .rgb, pixels: out)
        }
        // Sums of up to (w/width + 1)·(h/height + 1) bytes per output pixel must fit a UInt32.
        guard (w / width + 1) * (h / height + 1) <= Int(UInt32.max / 255) else {
            throw ToolError(
                "level \(level) (\(w)×\(h)) is too large to shrink to \(width)×\(height)", at: "slide \(slide.slideID), \(slide.path)",
                hint: "choose a coarser level or a larger picture")
        }
        var sums = [UInt32](repeating: 0, count: width * height * 3)
        var counts = [UInt32](repeating: 0, count: width * height)
        let columns = (0..<w).map { $0 * width / w }
        let stripRows = max(1, min(h, stripPixels / w))
        var row = 0
        while row < h {
            let rows = min(stripRows, h - row)
            let y0 = Int((Double(row) * source.downsample).rounded())
            let strip = try slide.readRegion(x: 0, y: y0, level: level, width: w, height: rows)
            strip.pixels.withUnsafeBufferPointer { pixels in
                sums.withUnsafeMutableBufferPointer { sums in
                    counts.withUnsafeMutableBufferPointer { counts in
                        for r in 0..<rows {
                            let outRow = (row + r) * height / h * width
                            for x in 0..<w {
                                let o = outRow + columns[x]
                                let s = (r * w + x) * 3
                                sums[3 * o] += UInt32(pixels[s])
                                sums[3 * o + 1] += UInt32(pixels[s + 1])
                                sums[3 * o + 2] += UInt32(pixels[s + 2])
                                counts[o] += 1
                            }
                        }
                    }
                }
            }
            row += rows
        }
        var out = [UInt8](repeating: 255, count: width * height * 3)
        for o in 0..<width * height where counts[o] > 0 {
            let n = counts[o]
            for c in 0..<3 { out[3 * o + c] = UInt8((sums[3 * o + c] + n / 2) / n) }
        }
        return Raster(width: width, height: height, channels: .rgb, pixels: out)
    }
}
