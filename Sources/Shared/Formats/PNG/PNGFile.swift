import CPNG
import Foundation

/// PNG through libpng's simplified API (`png_image_*`, libpng ≥ 1.6), the one place hmil calls libpng.
/// That API reports failure in `png_image.message` rather than by `longjmp`, which Swift cannot catch;
/// every failure becomes a one-line `ToolError` naming the file.
public enum PNGFile {
    /// Largest side accepted when reading (a hostile header cannot make us allocate more than 1 GiB per channel).
    public static let maximumSide = 32_768

    /// PNG bytes of `image`. `fast` trades size for time (no row filters, zlib level 3): worth it for
    /// large pictures written often, not for ones kept in a repository.
    public static func encode(_ image: Raster, fast: Bool = false, source: String = "PNG image") throws -> [UInt8] {
        let rowBytes = image.width * image.channels.rawValue
        // libpng's own bound (PNG_IMAGE_PNG_SIZE_MAX, a macro Swift cannot import): zlib's deflateBound of the
        // rows with their filter bytes, 12 bytes per 8 KiB IDAT chunk, and the fixed chunks. If libpng still
        // asks for more, it says how much and the write is retried once with that.
        let raw = (rowBytes + 1) * image.height
        let compressed = raw + (raw + 7) / 8 + (raw + 63) / 64 + 11
        var capacity = compressed + 12 * (compressed / 8192) + 128
        for _ in 0..<2 {
            var info = png_image()
            info.version = UInt32(PNG_IMAGE_VERSION)
            info.width = UInt32(image.width)
            info.height = UInt32(image.height)
            info.format = format(image.channels)
            info.flags = fast ? UInt32(PNG_IMAGE_FLAG_FAST) : 0
            var out = [UInt8](repeating: 0, count: capacity)
            var size = capacity
            let written = out.withUnsafeMutableBytes { memory in
                image.pixels.withUnsafeBytes { pixels in
                    png_image_write_to_memory(&info, memory.baseAddress, &size, 0, pixels.baseAddress, Int32(rowBytes), nil)
                }
            }
            if written != 0 {
                out.removeSubrange(size...)
                return out
            }
            defer { png_image_free(&info) }
            guard size > capacity else { throw ToolError("cannot encode PNG: \(message(info))", at: source) }
            capacity = size
        }
        throw ToolError("cannot encode PNG: libpng asked for more memory twice", at: source)
    }

    /// Writes `image` to `path` atomically.
    public static func write(_ image: Raster, to path: String, fast: Bool = false) throws {
        try AtomicFile.write(Data(encode(image, fast: fast, source: path)), to: path)
    }

    /// Decodes PNG bytes into a raster of the given channels (libpng converts: gray → rgb, drops or adds alpha
    /// composing onto black, reduces 16-bit samples to 8).
    public static func decode(_ bytes: [UInt8], channels: Raster.Channels, source: String) throws -> Raster {
        var info = png_image()
        info.version = UInt32(PNG_IMAGE_VERSION)
        let begun = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&info, $0.baseAddress, $0.count) }
        guard begun != 0 else {
            defer { png_image_free(&info) }
            throw ToolError("not a readable PNG: \(message(info))", at: source)
        }
        guard (1...maximumSide).contains(Int(info.width)), (1...maximumSide).contains(Int(info.height)) else {
            png_image_free(&info)
            throw ToolError("PNG of \(info.width)×\(info.height) pixels is out of range 1…\(maximumSide)", at: source)
        }
        info.format = format(channels)
        let (width, height) = (Int(info.width), Int(info.height))
        var pixels = [UInt8](repeating: 0, count: width * height * channels.rawValue)
        let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&info, nil, $0.baseAddress, 0, nil) }
        guard finished != 0 else {
            defer { png_image_free(&info) }
            throw ToolError("cannot decode PNG: \(message(info))", at: source)
        }
        return Raster(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Reads and decodes the PNG file at `path`.
    public static func read(_ path: String, channels: Raster.Channels) throws -> Raster {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ToolError("cannot read PNG file", at: path, hint: "check the path")
        }
        return try decode([UInt8](data), channels: channels, source: path)
    }

    private static func format(_ channels: Raster.Channels) -> UInt32 {
        switch channels {
        case .gray: return UInt32(PNG_FORMAT_GRAY)
        case .rgb: return UInt32(PNG_FORMAT_RGB)
        case .rgba: return UInt32(PNG_FORMAT_RGB | PNG_FORMAT_FLAG_ALPHA)  // PNG_FORMAT_RGBA is a macro Swift cannot import
        }
    }

    /// libpng's message, a NUL-terminated `char[64]` inside the struct.
    private static func message(_ info: png_image) -> String {
        var copy = info.message
        let text = withUnsafeBytes(of: &copy) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "libpng gave no reason" : text
    }
}
