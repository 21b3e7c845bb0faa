import Foundation

/// The unit of a bag's patch coordinates: level-0 pixels of the slide (CLAM, TRIDENT) or micrometres
/// from the slide's top-left corner (STAMP), which the slide's resolution (`openslide.mpp-x`/`-y`) turns
/// into pixels.
public enum CoordinateUnit: String, Codable, Sendable, CaseIterable {
    case pixels = "px"
    case micrometres = "um"

    public var symbol: String { self == .pixels ? "px" : "µm" }
}

/// Where a bag's patches lie on the slide: the coordinates (each patch's top-left corner, as packed) are
/// in `unit`, and every patch is a square of side `patchSize` in the same unit. This is everything a
/// heatmap needs beyond the coordinates themselves.
public struct PatchGeometry: Codable, Equatable, Sendable {
    public var unit: CoordinateUnit
    /// Side of a patch: level-0 pixels, or µm.
    public var patchSize: Double
    /// Where it was read, e.g. "TRIDENT coords attributes", "STAMP root attributes", "--patch-size".
    public var source: String

    public init(unit: CoordinateUnit, patchSize: Double, source: String) {
        self.unit = unit
        self.patchSize = patchSize
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case unit
        case patchSize = "patch_size"
        case source
    }

    /// Largest patch side believed (a million pixels or µm is already a whole slide).
    public static let maximumPatchSize = 1_000_000.0

    /// Two sources agree when they use one unit and their sizes differ by at most this much: TRIDENT
    /// floors `patch_size × level0_mag / target_mag`, CLAM truncates `patch_size × downsample`, so an
    /// honest pair of sources can be one pixel apart.
    public static let tolerance = 1.0

    /// Combines what several sources say about one slide's patches; nil when none says anything.
    /// Sources that disagree (another unit, or sizes more than `tolerance` apart) are an error naming both.
    public static func combine(_ candidates: [PatchGeometry], location: String) throws -> PatchGeometry? {
        guard var result = candidates.first else { return nil }
        for other in candidates.dropFirst() {
            guard other.unit == result.unit else {
                throw ToolError(
                    "patch geometry contradicts itself: \(result.describe) from \(result.source), but "
                        + "\(other.describe) from \(other.source)", at: location,
                    hint: "coordinates are either level-0 pixels or µm; drop the source that is wrong")
            }
            guard abs(other.patchSize - result.patchSize) <= tolerance else {
                throw ToolError(
                    "patch size contradicts itself: \(result.describe) from \(result.source), but "
                        + "\(other.describe) from \(other.source)", at: location,
                    hint: "check --patch-size and the patch files; the feature file's attributes describe its own coordinates")
            }
            result.source += " = " + other.source
        }
        return result
    }

    /// "patches of 512 px", "patches of 256 µm".
    public var describe: String { "patches of \(Self.number(patchSize)) \(unit.symbol)" }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// Checks a size read from a file or an option.
    static func checked(_ size: Double, what: String) throws -> Double {
        guard size.isFinite, size > 0, size <= maximumPatchSize else {
            throw FeatureFileProblem("\(what) = \(size) is not a patch size (0 < size ≤ \(Int(maximumPatchSize)))")
        }
        return size
    }
}
