/// Text on a raster, for heatmap captions: a public-domain 8×13 bitmap font (the X11 "fixed" glyphs, see
/// `BitmapFontGlyphs.swift`), drawn at an integer scale so it stays sharp. Characters it lacks are drawn as "?".
public enum BitmapFont {
    public static let glyphWidth = 8
    public static let glyphHeight = 13

    private static let index: [Unicode.Scalar: Int] = Dictionary(uniqueKeysWithValues: characters.enumerated().map { ($1, $0) })

    /// Width in pixels of `text` at `scale`.
    public static func width(of text: String, scale: Int) -> Int { text.unicodeScalars.count * glyphWidth * scale }

    /// Draws `text` with its top-left corner at (x, y) in `color` (one byte per channel of the raster);
    /// what falls outside the raster is clipped.
    public static func draw(_ text: String, x: Int, y: Int, scale: Int, color: [UInt8], on raster: inout Raster) {
        precondition(color.count == raster.channels.rawValue, "one byte per channel")
        let channels = raster.channels.rawValue
        let (width, height) = (raster.width, raster.height)
        var left = x
        raster.pixels.withUnsafeMutableBufferPointer { pixels in
            for scalar in text.unicodeScalars {
                let glyph = index[scalar] ?? index["?"]!
                for row in 0..<glyphHeight {
                    let bits = rows[glyph * glyphHeight + row]
                    guard bits != 0 else { continue }
                    for column in 0..<glyphWidth where bits & (0x80 >> column) != 0 {
                        for dy in 0..<scale {
                            let py = y + row * scale + dy
                            guard py >= 0, py < height else { continue }
                            for dx in 0..<scale {
                                let px = left + column * scale + dx
                                guard px >= 0, px < width else { continue }
                                let offset = (py * width + px) * channels
                                for c in 0..<channels { pixels[offset + c] = color[c] }
                            }
                        }
                    }
                }
                left += glyphWidth * scale
            }
        }
    }
}
