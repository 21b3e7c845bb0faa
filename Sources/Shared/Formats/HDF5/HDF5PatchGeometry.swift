import CHDF5

/// The attributes that place a slide's patches, as the feature extractors write them into HDF5 files:
///
/// - TRIDENT, on the `coords` dataset: `patch_size_level0` (level-0 pixels), and `patch_size` (pixels at
///   `target_magnification`) with `level0_magnification`, from which TRIDENT computes the former as
///   `patch_size × level0_magnification // target_magnification`;
/// - CLAM's patch files (`patches/<slide_id>.h5`, from `create_patches_fp.py`), on `coords`: `patch_size` (pixels
///   at `patch_level`) and `downsample` (that level's (x, y) downsample), so a patch covers
///   `int(patch_size × downsample)` level-0 pixels, as CLAM's heatmap code computes it; CLAM's feature files
///   carry no attributes;
/// - STAMP, on the file's root: `tile_size_um` (µm) and `unit` = "um" (its `coords` are µm), and `tile_size_px`.
///
/// Every source present must agree (`PatchGeometry.combine`); nil when the file says nothing.
enum HDF5PatchGeometry {
    static let coordsAttributes = [
        "patch_size_level0", "patch_size", "level0_magnification", "target_magnification",
        "downsample", "patch_level"
    ]
    static let rootAttributes = ["unit", "tile_size_um"]
    static let micrometreUnits: Set<String> = ["um", "µm", "μm", "micrometer", "micrometers", "micrometre", "micrometres", "microns"]

    /// Reads the attributes of `path` (the coordinates dataset found by `keys`, and the root) and interprets them.
    /// Errors name the slide and the file.
    static func read(_ path: String, slideID: String, keys: FeatureKeys) throws -> PatchGeometry? {
        try FeatureFiles.reporting(path: path, slideID: slideID) {
            let (coords, root) = try HDF5Library.locked { () throws -> ([String: HDF5Attribute], [String: HDF5Attribute]) in
                guard H5Fis_hdf5(path) > 0 else { throw FeatureFileProblem("not an HDF5 file (no HDF5 signature)") }
                let file = try HDF5Library.check(
                    H5Fopen(path, 0 /* H5F_ACC_RDONLY */, 0), "cannot open the HDF5 file (damaged or truncated?)")
                defer { H5Fclose(file) }
                let root = try HDF5Library.attributes(file: file, object: "/", names: rootAttributes)
                for name in keys.coordinateCandidates where H5Lexists(file, name, 0) > 0 {
                    return (try HDF5Library.attributes(file: file, object: name, names: coordsAttributes), root)
                }
                return ([:], root)
            }
            return try interpret(coords: coords, root: root, location: path)
        }
    }

    /// What the attributes say; `location` goes into a contradiction's error (the reporter adds the slide).
    static func interpret(coords: [String: HDF5Attribute], root: [String: HDF5Attribute], location: String) throws -> PatchGeometry? {
        func number(_ attributes: [String: HDF5Attribute], _ name: String, of object: String) throws -> Double? {
            guard let attribute = attributes[name] else { return nil }
            guard let value = attribute.number, value.isFinite else {
                throw FeatureFileProblem("attribute '\(name)' of '\(object)' is not a number")
            }
            return value
        }
        var candidates: [PatchGeometry] = []
        let level0 = try number(coords, "patch_size_level0", of: "coords")
        let size = try number(coords, "patch_size", of: "coords")
        let magnification0 = try number(coords, "level0_magnification", of: "coords")
        let target = try number(coords, "target_magnification", of: "coords")
        if let level0 {
            candidates.append(
                PatchGeometry(
                    unit: .pixels, patchSize: try PatchGeometry.checked(level0, what: "patch_size_level0"),
                    source: "TRIDENT patch_size_level0"))
        }
        if let size, let magnification0, let target {
            guard magnification0 > 0, target > 0 else {
                throw FeatureFileProblem("level0_magnification = \(magnification0) and target_magnification = \(target) must be positive")
            }
            let derived = (size * magnification0 / target).rounded(.down)
            candidates.append(
                PatchGeometry(
                    unit: .pixels,
                    patchSize: try PatchGeometry.checked(derived, what: "patch_size × level0_magnification / target_magnification"),
                    source: "TRIDENT patch_size × level0_magnification / target_magnification"))
        }
        if let size, let downsample = coords["downsample"] {
            guard case .numbers(let factors) = downsample, (1...2).contains(factors.count),
                factors.allSatisfy({ $0.isFinite && $0 > 0 })
            else {
                throw FeatureFileProblem("attribute 'downsample' of 'coords' is not one or two positive numbers")
            }
            let (x, y) = ((size * factors[0]).rounded(.down), (size * factors[factors.count - 1]).rounded(.down))
            guard abs(x - y) <= PatchGeometry.tolerance else {
                throw FeatureFileProblem("CLAM patches of \(Int(x))×\(Int(y)) level-0 pixels are not square (downsample \(factors))")
            }
            candidates.append(
                PatchGeometry(
                    unit: .pixels, patchSize: try PatchGeometry.checked(x, what: "patch_size × downsample"),
                    source: "CLAM patch_size × downsample"))
        } else if let size, magnification0 == nil, target == nil, level0 == nil, try number(coords, "patch_level", of: "coords") == 0 {
            // A patch level of 0 without a downsample: the patch size is already in level-0 pixels.
            candidates.append(
                PatchGeometry(
                    unit: .pixels, patchSize: try PatchGeometry.checked(size, what: "patch_size"),
                    source: "CLAM patch_size at patch_level 0"))
        }
        if let micrometres = try number(root, "tile_size_um", of: "/") {
            if let unit = root["unit"] {
                guard case .text(let text) = unit, micrometreUnits.contains(text.lowercased()) else {
                    throw FeatureFileProblem("root attribute 'unit' is not 'um': STAMP coordinates are micrometres")
                }
            }
            candidates.append(
                PatchGeometry(
                    unit: .micrometres, patchSize: try PatchGeometry.checked(micrometres, what: "tile_size_um"),
                    source: "STAMP tile_size_um"))
        }
        return try PatchGeometry.combine(candidates, location: location)
    }
}
