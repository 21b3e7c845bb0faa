/// An 8-bit image in memory: `height` rows of `width` pixels, each `channels.rawValue` bytes (gray; or
/// red, green, blue; or those and alpha, not premultiplied), row-major with no padding — the layout
/// libpng's simplified API reads and writes.
public struct Raster: Equatable, Sendable {
    public enum Channels: Int, Sendable {
        case gray = 1
        case rgb = 3
        case rgba = 4
    }

    public let width: Int
    public let height: Int
    public let channels: Channels
    /// [height, width, channels]
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Channels, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "a raster has at least one pixel")
        precondition(pixels.count == width * height * channels.rawValue, "pixels must be height×width×channels")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// A raster of one colour (`fill` has `channels` bytes).
    public init(width: Int, height: Int, channels: Channels, fill: [UInt8]) {
        precondition(fill.count == channels.rawValue, "one byte per channel")
        var pixels = [UInt8](repeating: 0, count: width * height * channels.rawValue)
        for i in stride(from: 0, to: pixels.count, by: fill.count) {
            for c in fill.indices { pixels[i + c] = fill[c] }
        }
        self.init(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// The bytes of pixel (x, y).
    public func pixel(x: Int, y: Int) -> ArraySlice<UInt8> {
        let start = (y * width + x) * channels.rawValue
        return pixels[start..<start + channels.rawValue]
    }
}
