import COpenSlide
import Foundation

/// A whole-slide image read through OpenSlide, the one place hmil calls it: every format OpenSlide reads
/// (Aperio SVS, Hamamatsu NDPI/VMS, MIRAX, Leica SCN, Philips, Ventana, generic tiled TIFF, …). OpenSlide's
/// error state becomes a one-line `ToolError` naming the slide and the file. An open slide may be read from
/// several threads at once (OpenSlide's guarantee).
public final class SlideFile: @unchecked Sendable {
    public struct Level: Equatable, Sendable {
        public var width: Int
        public var height: Int
        /// Level-0 pixels per pixel of this level.
        public var downsample: Double
    }

    public let path: String
    public let slideID: String
    public let levels: [Level]
    private let handle: OpaquePointer

    /// Extensions of the files OpenSlide opens, for finding a slide by its id.
    public static let extensions = ["svs", "tif", "tiff", "ndpi", "vms", "vmu", "scn", "mrxs", "svslide", "bif"]

    /// Largest region read in one call (OpenSlide fills a buffer of 4 bytes per pixel).
    public static let maximumRegionPixels = 64 << 20

    public init(path: String, slideID: String) throws {
        let location = "slide \(slideID), \(path)"
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ToolError("cannot read the slide file", at: location, hint: "check the path and its permissions")
        }
        guard let handle = openslide_open(path) else {
            throw ToolError(
                "not a slide OpenSlide can read (unknown format)", at: location,
                hint: "OpenSlide reads SVS, NDPI, MRXS, SCN, VMS, BIF and tiled TIFF files")
        }
        if let error = openslide_get_error(handle) {
            let text = String(cString: error)
            openslide_close(handle)
            throw ToolError("cannot read the slide: \(text)", at: location, hint: "the file is damaged or incomplete")
        }
        let count = Int(openslide_get_level_count(handle))
        var levels: [Level] = []
        for level in 0..<max(0, count) {
            var width: Int64 = 0
            var height: Int64 = 0
            openslide_get_level_dimensions(handle, Int32(level), &width, &height)
            levels.append(Level(width: Int(width), height: Int(height), downsample: openslide_get_level_downsample(handle, Int32(level))))
        }
        guard let first = levels.first, first.width > 0, first.height > 0,
            levels.allSatisfy({ $0.width > 0 && $0.height > 0 && $0.downsample >= 1 })
        else {
            openslide_close(handle)
            throw ToolError("the slide has no readable level", at: location, hint: "the file is damaged or incomplete")
        }
        self.path = path
        self.slideID = slideID
        self.levels = levels
        self.handle = handle
    }

    deinit { openslide_close(handle) }

    public var width: Int { levels[0].width }
    public var height: Int { levels[0].height }

    /// A property, e.g. `openslide.mpp-x`, `tiff.XResolution`; nil when absent.
    public func property(_ name: String) -> String? {
        openslide_get_property_value(handle, name).map { String(cString: $0) }
    }

    /// Micrometres per level-0 pixel in x and y: `openslide.mpp-x`/`-y`; else the TIFF resolution tags, which
    /// OpenSlide 3.4 (Debian 12) reports for generic TIFF without deriving MPP from them (OpenSlide 4 does).
    /// Nil when the slide records neither.
    public var micronsPerPixel: (x: Double, y: Double)? {
        if let x = property("openslide.mpp-x").flatMap(Double.init), let y = property("openslide.mpp-y").flatMap(Double.init),
            x > 0, y > 0, x.isFinite, y.isFinite
        {
            return (x, y)
        }
        let micronsPerUnit: Double
        switch property("tiff.ResolutionUnit")?.lowercased() {
        case "centimeter": micronsPerUnit = 10_000
        case "inch": micronsPerUnit = 25_400
        default: return nil
        }
        guard let x = property("tiff.XResolution").flatMap(Double.init), let y = property("tiff.YResolution").flatMap(Double.init),
            x > 0, y > 0, x.isFinite, y.isFinite
        else { return nil }
        return (micronsPerUnit / x, micronsPerUnit / y)
    }

    /// The region of `width`×`height` pixels of `level` whose top-left corner is (x, y) in level-0 pixels, as
    /// RGB composited onto white (OpenSlide returns premultiplied ARGB; areas outside the scan are transparent).
    public func readRegion(x: Int, y: Int, level: Int, width: Int, height: Int) throws -> Raster {
        precondition(levels.indices.contains(level) && width > 0 && height > 0, "a region of a level of this slide")
        guard width * height <= Self.maximumRegionPixels else {
            throw ToolError("region of \(width)×\(height) pixels is too large to read at once", at: "slide \(slideID), \(path)")
        }
        var argb = [UInt32](repeating: 0, count: width * height)
        openslide_read_region(handle, &argb, Int64(x), Int64(y), Int32(level), Int64(width), Int64(height))
        if let error = openslide_get_error(handle) {
            throw ToolError(
                "cannot read the slide: \(String(cString: error))", at: "slide \(slideID), \(path)",
                hint: "the file is damaged or incomplete")
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        rgb.withUnsafeMutableBufferPointer { out in
            for (i, pixel) in argb.enumerated() {
                // Premultiplied over white: c + (255 − a) for each channel.
                let cover = 255 - (pixel >> 24)
                out[3 * i] = UInt8(truncatingIfNeeded: min(255, (pixel >> 16 & 0xFF) + cover))
                out[3 * i + 1] = UInt8(truncatingIfNeeded: min(255, (pixel >> 8 & 0xFF) + cover))
                out[3 * i + 2] = UInt8(truncatingIfNeeded: min(255, (pixel & 0xFF) + cover))
            }
        }
        return Raster(width: width, height: height, channels: .rgb, pixels: rgb)
    }

    /// Finds the slide file of `slideID` in `folder`: `<slide_id>.<ext>` for any extension OpenSlide reads.
    /// Nil when there is none; two candidates are an error (which one was meant?).
    public static func locate(slideID: String, in folder: String) throws -> String? {
        let found = extensions.flatMap { [$0, $0.uppercased()] }.map { "\(folder)/\(slideID).\($0)" }
            .filter {
                var isFolder: ObjCBool = false
                return FileManager.default.fileExists(atPath: $0, isDirectory: &isFolder) && !isFolder.boolValue
            }
        guard found.count <= 1 else {
            throw ToolError(
                "two slide files for slide \(slideID): \(found.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", "))",
                at: folder, hint: "keep one file per slide id in the slide folder")
        }
        return found.first
    }
}
