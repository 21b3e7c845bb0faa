import Foundation

/// Reads the bags of a dataset document (hmil.dataset/1) from its packs, by slide id. Thread-safe:
/// pack readers use positional reads, so training workers load their own bags concurrently.
///
/// Bags named by `keepInMemory` stay decoded in memory once read, up to `memoryLimit` bytes of
/// features in all: a small training set is then read from its pack once per run, not once per epoch
/// (for bags of a few dozen instances the read and decompression cost a tenth of a step, issue 12).
public final class BagSource: @unchecked Sendable {
    public let packs: [PackReader]
    public let featureDim: Int
    private let location: [String: (pack: Int, position: Int)]

    /// Bytes of f32 features kept in memory at most, over every `keepInMemory` call of the source
    /// (default 256 MiB; 0 keeps nothing).
    public var memoryLimit = 256 << 20
    private let cacheLock = NSLock()
    private var admitted = Set<String>()
    private var admittedBytes = 0
    private var cached: [String: Bag] = [:]
    /// Bags decoded from a pack so far (tests: a kept bag is read once).
    public private(set) var packReads = 0

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
                throw ToolError(
                    "pack has feature dim \(reader.featureDim), the document says \(references[i].featureDim)",
                    at: "\(references[i].path), \(source)", hint: "re-run hmil-pack for this plan")
            }
            guard reader.featureDim == featureDim else {
                throw ToolError(
                    "pack has feature dim \(reader.featureDim), the first pack \(featureDim)", at: references[i].path,
                    hint: "pack all slides with one feature extractor")
            }
        }
        var location: [String: (pack: Int, position: Int)] = [:]
        for slide in document.slides {
            let candidates = slide.pack.map { [$0] } ?? Array(packs.indices)
            guard
                let found = candidates.lazy.compactMap({ p -> (Int, Int)? in
                    guard p >= 0, p < readers.count, let position = readers[p].position(of: slide.slideID) else { return nil }
                    return (p, position)
                }).first
            else {
                throw ToolError(
                    "slide is not in any pack", at: "slide \(slide.slideID), \(source)",
                    hint: "re-run hmil-pack for this plan")
            }
            let stored = readers[found.0].entries[found.1].instanceCount
            if let expected = slide.instances, expected != stored {
                throw ToolError(
                    "document says \(expected) instances, pack holds \(stored)",
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

    /// The bag as f32, decompressed and converted (or as kept in memory).
    public func bag(_ slideID: String) throws -> Bag {
        guard let l = location[slideID] else {
            throw ToolError("slide is not in the dataset's packs", at: "slide \(slideID)")
        }
        cacheLock.lock()
        let kept = cached[slideID]
        let keep = admitted.contains(slideID)
        packReads += kept == nil ? 1 : 0
        cacheLock.unlock()
        if let kept { return kept }
        let bag = try packs[l.pack].readBag(at: l.position)
        if keep {
            cacheLock.lock()
            cached[slideID] = bag
            cacheLock.unlock()
        }
        return bag
    }

    /// Keeps these bags decoded in memory once read, if they fit what is left of `memoryLimit` (all of
    /// them or none); returns whether they are kept. The trainer asks for a fold's training and validation
    /// parts, so only data sets whose parts are small are held; larger ones are read bag by bag as before.
    @discardableResult
    public func keepInMemory(_ slideIDs: [String]) -> Bool {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        let new = Set(slideIDs).subtracting(admitted).filter { location[$0] != nil }
        let bytes = new.reduce(0) { $0 + instanceCount(of: $1) * featureDim * MemoryLayout<Float>.stride }
        guard admittedBytes + bytes <= memoryLimit else { return false }
        admitted.formUnion(new)
        admittedBytes += bytes
        return true
    }
}
