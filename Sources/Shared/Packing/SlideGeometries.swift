import Foundation

/// Where each slide's patches lie, as hmil-pack records it for heatmaps (pack header and dataset document).
/// Three sources, every one present must agree (`PatchGeometry.combine`), none is guessed:
/// - the feature file's own attributes (TRIDENT's on `coords`, STAMP's on the root; see `HDF5PatchGeometry`);
/// - a patch file in `--patches` (CLAM's `create_patches_fp.py` output, `<slide_id>.h5` or `patches/<slide_id>.h5`,
///   or TRIDENT's `<slide_id>_patches.h5`), whose `coords` attributes give the patch size;
/// - `--patch-size` (level-0 pixels), for CLAM feature files, which carry no attributes.
/// All slides of one pack must share a unit (pixels or µm).
enum SlideGeometries {
    struct Result: Equatable {
        /// Slide id → geometry, for the slides whose geometry is known.
        var perSlide: [String: PatchGeometry] = [:]
        /// The header's summary; nil when no slide's geometry is known.
        var pack: PackGeometry?
    }

    static func resolve(_ sources: [PackManifest.Source], options: PackJob.Options) throws -> Result {
        var result = Result()
        var firstOfUnit: [CoordinateUnit: String] = [:]
        for source in sources {
            var candidates: [PatchGeometry] = []
            if let own = try FeatureFiles.geometry(source.path, slideID: source.slideID, keys: options.keys) {
                candidates.append(own)
            }
            if let folder = options.patchFolder {
                candidates.append(try patchFileGeometry(slideID: source.slideID, folder: folder))
            }
            if let size = options.patchSize {
                candidates.append(PatchGeometry(unit: .pixels, patchSize: size, source: "--patch-size"))
            }
            guard let geometry = try PatchGeometry.combine(candidates, location: "slide \(source.slideID), \(source.path)") else {
                continue
            }
            if let other = firstOfUnit.first(where: { $0.key != geometry.unit }) {
                throw ToolError(
                    "slide \(source.slideID) has coordinates in \(geometry.unit.symbol) (\(geometry.source)) but slide "
                        + "\(other.value) in \(other.key.symbol)", at: source.path,
                    hint: "pack slides whose coordinates share a unit together")
            }
            firstOfUnit[geometry.unit] = firstOfUnit[geometry.unit] ?? source.slideID
            result.perSlide[source.slideID] = geometry
        }
        let known = sources.compactMap { result.perSlide[$0.slideID] }
        if let first = known.first {
            let sizes = Set(known.map(\.patchSize))
            let common = known.count == sources.count && sizes.count == 1 ? first.patchSize : nil
            var labels: [String] = []
            for geometry in known where !labels.contains(geometry.source) { labels.append(geometry.source) }
            result.pack = PackGeometry(unit: first.unit, patchSize: common, source: labels.joined(separator: "; "))
        }
        return result
    }

    /// The patch file of `slideID` in `folder`, in CLAM's or TRIDENT's naming.
    static func patchFile(slideID: String, folder: String) -> String? {
        let names = ["\(slideID).h5", "patches/\(slideID).h5", "\(slideID)_patches.h5", "patches/\(slideID)_patches.h5"]
        return names.map { folder + "/" + $0 }.first { FileManager.default.fileExists(atPath: $0) }
    }

    private static func patchFileGeometry(slideID: String, folder: String) throws -> PatchGeometry {
        guard let path = patchFile(slideID: slideID, folder: folder) else {
            throw ToolError(
                "no patch file for slide \(slideID)", at: folder,
                hint: "--patches names CLAM's patch folder (<slide_id>.h5 or patches/<slide_id>.h5) or TRIDENT's (<slide_id>_patches.h5)")
        }
        guard var geometry = try HDF5PatchGeometry.read(path, slideID: slideID, keys: FeatureKeys()), geometry.unit == .pixels else {
            throw ToolError(
                "patch file has no patch_size with downsample (CLAM) or patch_size_level0 (TRIDENT) on 'coords'",
                at: "slide \(slideID), \(path)", hint: "give the folder create_patches_fp.py wrote, or use --patch-size")
        }
        geometry.source = "patch file " + geometry.source
        return geometry
    }
}
