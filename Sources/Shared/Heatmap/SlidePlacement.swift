/// Where a slide's patches go on the slide, from the dataset document (hmil-pack's patch geometry) and, for
/// packs without one, `--patch-size`: the geometry, and the patches as level-0 pixel rectangles (µm coordinates
/// converted through the slide's resolution). Every failure names the slide.
public enum SlidePlacement {
    /// The slide's patch geometry. `patchSize` (level-0 pixels, hmil-heatmap's `--patch-size`) fills in for a
    /// dataset that has none and must agree with one that has.
    public static func geometry(of slideID: String, in document: PipelineDocument, source: String, patchSize: Double?) throws
        -> PatchGeometry
    {
        guard let slide = document.slides.first(where: { $0.slideID == slideID }) else {
            throw ToolError(
                "slide \(slideID) is not in the dataset document", at: source,
                hint: "give the dataset document the attention was computed from (--dataset)")
        }
        let packs = document.packs ?? []
        let pack = slide.pack.flatMap { packs.indices.contains($0) ? packs[$0] : nil } ?? packs.first
        let unit = pack?.geometry?.unit
        let size = slide.patchSize ?? pack?.geometry?.patchSize
        var candidates: [PatchGeometry] = []
        if let size {
            candidates.append(PatchGeometry(unit: unit ?? .pixels, patchSize: size, source: pack?.geometry?.source ?? "dataset document"))
        }
        if let patchSize {
            if unit == .micrometres, size == nil {
                throw ToolError(
                    "--patch-size is in level-0 pixels but the coordinates of slide \(slideID) are in µm", at: source,
                    hint: "pack STAMP features with their tile_size_um attribute")
            }
            candidates.append(PatchGeometry(unit: .pixels, patchSize: patchSize, source: "--patch-size"))
        }
        guard let geometry = try PatchGeometry.combine(candidates, location: "slide \(slideID), \(source)") else {
            throw ToolError(
                "no patch size known for slide \(slideID)", at: source,
                hint: "pack with hmil-pack --patch-size or --patches (CLAM features carry none), or pass --patch-size")
        }
        return geometry
    }

    /// The patches as level-0 rectangles of `slide`. Coordinates whose top-left corner lies outside the slide are
    /// an error: they belong to another slide, or the geometry is wrong.
    public static func rectangles(x: [Double], y: [Double], geometry: PatchGeometry, slide: SlideFile) throws -> PatchRectangles {
        var (scaleX, scaleY) = (1.0, 1.0)
        if geometry.unit == .micrometres {
            guard let mpp = slide.micronsPerPixel else {
                throw ToolError(
                    "the slide records no resolution to turn µm coordinates into pixels", at: "slide \(slide.slideID), \(slide.path)",
                    hint: "STAMP's coordinates need openslide.mpp-x/mpp-y (or TIFF resolution tags) in the slide")
            }
            (scaleX, scaleY) = (1 / mpp.x, 1 / mpp.y)
        }
        let rectangles = PatchRectangles(
            x: x.map { $0 * scaleX }, y: y.map { $0 * scaleY },
            width: geometry.patchSize * scaleX, height: geometry.patchSize * scaleY)
        let (width, height) = (Double(slide.width), Double(slide.height))
        if let bad = (0..<rectangles.count).first(where: { i in
            !(0..<width).contains(rectangles.x[i]) || !(0..<height).contains(rectangles.y[i])
        }) {
            let unit =
                geometry.unit == .micrometres
                ? " µm (\(PatchGeometry.number(rectangles.x[bad].rounded())), "
                    + "\(PatchGeometry.number(rectangles.y[bad].rounded())) px)" : " px"
            throw ToolError(
                "patch \(bad) at (\(PatchGeometry.number(x[bad])), \(PatchGeometry.number(y[bad])))\(unit) lies outside the "
                    + "\(slide.width)×\(slide.height) slide", at: "slide \(slide.slideID), \(slide.path)",
                hint: "the coordinates are of another slide or scan, or the patch geometry is wrong")
        }
        return rectangles
    }
}
