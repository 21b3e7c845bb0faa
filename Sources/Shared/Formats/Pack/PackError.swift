/// What can be wrong with a pack or with a bag given to the writer. Each case names the file and, where
/// one is involved, the bag; `description` is the contract's one line `what (where) — what to do`.
public enum PackError: Error, Equatable, CustomStringConvertible {
    /// The file does not start with an hbag header frame.
    case badMagic(file: String)
    case unknownVersion(file: String, version: UInt32)
    /// The file ends before a structure it declares.
    case truncated(file: String, detail: String)
    case corruptHeader(file: String, detail: String)
    /// No footer at the end of the file: an unfinished or cut-off pack.
    case missingIndex(file: String)
    case corruptIndex(file: String, detail: String)
    /// A size that cannot be right (checked before anything is allocated for it).
    case absurdSize(file: String, slideID: String?, detail: String)
    /// zstd's content checksum of a bag frame does not match its content.
    case checksumMismatch(file: String, slideID: String)
    case corruptBag(file: String, slideID: String, detail: String)
    case unknownSlide(file: String, slideID: String)
    case duplicateSlide(file: String, slideID: String)
    case featureDimMismatch(file: String, slideID: String, pack: Int, bag: Int)
    case coordinatesMismatch(file: String, slideID: String, pack: CoordinatesKind, bag: CoordinatesKind)
    case invalidBag(file: String, slideID: String, detail: String)
    case io(file: String, detail: String)

    public var toolError: ToolError {
        switch self {
        case .badMagic(let file):
            return ToolError("not an hbag pack: bad magic", at: file, hint: "give a .hbag file written by hmil-pack")
        case .unknownVersion(let file, let version):
            return ToolError(
                "unknown hbag format version \(version) (this build reads \(PackFormat.version))", at: file,
                hint: "use the hmil release that wrote it, or repack")
        case .truncated(let file, let detail):
            return ToolError("truncated pack: \(detail)", at: file, hint: "the file was cut short; rerun hmil-pack")
        case .corruptHeader(let file, let detail):
            return ToolError("corrupt pack header: \(detail)", at: file, hint: "rerun hmil-pack")
        case .missingIndex(let file):
            return ToolError(
                "pack has no index footer", at: file,
                hint: "the file is unfinished or cut short; rerun hmil-pack")
        case .corruptIndex(let file, let detail):
            return ToolError("corrupt pack index: \(detail)", at: file, hint: "rerun hmil-pack")
        case .absurdSize(let file, let slideID, let detail):
            return ToolError("absurd size in pack: \(detail)", at: Self.place(file, slideID), hint: "the pack is corrupt; rerun hmil-pack")
        case .checksumMismatch(let file, let slideID):
            return ToolError(
                "checksum mismatch in bag", at: Self.place(file, slideID),
                hint: "the pack is corrupt (disk or copy error); rerun hmil-pack")
        case .corruptBag(let file, let slideID, let detail):
            return ToolError("corrupt bag: \(detail)", at: Self.place(file, slideID), hint: "rerun hmil-pack")
        case .unknownSlide(let file, let slideID):
            return ToolError(
                "no bag for this slide in the pack", at: Self.place(file, slideID),
                hint: "pack the slide, or check the slide id")
        case .duplicateSlide(let file, let slideID):
            return ToolError("slide appears twice", at: Self.place(file, slideID), hint: "each slide is packed once")
        case .featureDimMismatch(let file, let slideID, let pack, let bag):
            return ToolError(
                "bag has \(bag) features per instance, the pack has \(pack)", at: Self.place(file, slideID),
                hint: "all bags of a pack come from the same feature extractor")
        case .coordinatesMismatch(let file, let slideID, let pack, let bag):
            return ToolError(
                "bag has coords \(bag.rawValue), the pack stores \(pack.rawValue)", at: Self.place(file, slideID),
                hint: "give every bag the same kind of coordinates, or none")
        case .invalidBag(let file, let slideID, let detail):
            return ToolError("cannot pack bag: \(detail)", at: Self.place(file, slideID))
        case .io(let file, let detail):
            return ToolError(detail, at: file)
        }
    }

    public var description: String { toolError.description }

    private static func place(_ file: String, _ slideID: String?) -> String {
        slideID.map { "\(file), slide \($0)" } ?? file
    }
}
