/// Reads the bags of a dataset document (hmil.dataset/1) from its packs, by slide id. Thread-safe:
/// pack readers use positional reads, so training workers load their own bags concurrently.
public final class BagSource: @unchecked Sendable {
    public let packs: [PackReader]
    public let featureDim: Int
    private let location: [String: (pack: Int, position: Int)]

    /// Opens every pack of the document and checks it against the document: each listed slide is in
    /// its pack with the instance count the document records, and every pack has the same feature dim.
    public init(document: PipelineDocument, source: String) throws {
        guard let references = document.packs, !references.isEmpty else {
            throw ToolError("the document lists no packs", at: source, hint: "run hmil-pack first")
        }
        let readers = try references.map { try PackReader(path: $0.path) }
        packs = readers
        featureDim = readers[0].featureDim
        for (i, reader) in readers.enumerated() {
            guard reader.featureDim == references[i].featureDim else {
                throw ToolError("pack has feature dim \(reader.featureDim), the document says \(references[i].featureDim)",
                                at: "\(references[i].path), \(source)", hint: "re-run hmil-pack for this plan")
            }
            guard reader.featureDim == featureDim else {
                throw ToolError("pack has feature dim \(reader.featureDim), the first pack \(featureDim)", at: references[i].path,
                                hint: "pack all slides with one feature extractor")
            }
        }
        var location: [String: (pack: Int, position: Int)] = [:]
        for slide in document.slides {
            let candidates = slide.pack.map { [$0] } ?? Array(packs.indices)
            guard let found = candidates.lazy.compactMap({ p -> (Int, Int)? in
                guard p >= 0, p < readers.count, let position = readers[p].position(of: slide.slideID) else { return nil }
                return (p, position)
            }).first else {
                throw ToolError("slide is not in any pack", at: "slide \(slide.slideID), \(source)",
                                hint: "re-run hmil-pack for this plan")
            }
            let stored = readers[found.0].entries[found.1].instanceCount
            if let expected = slide.instances, expected != stored {
                throw ToolError("document says \(expected) instances, pack holds \(stored)",
                                at: "slide \(slide.slideID), \(readers[found.0].path)", hint: "re-run hmil-pack for this plan")
            }
            location[slide.slideID] = found
        }
        self.location = location
    }

    public func contains(_ slideID: String) -> Bool { location[slideID] != nil }

    public func instanceCount(of slideID: String) -> Int {
        let l = location[slideID]!
        return packs[l.pack].entries[l.position].instanceCount
    }

    /// The bag as f32, decompressed and converted.
    public func bag(_ slideID: String) throws -> Bag {
        guard let l = location[slideID] else {
            throw ToolError("slide is not in the dataset's packs", at: "slide \(slideID)")
        }
        return try packs[l.pack].readBag(at: l.position)
    }
}
