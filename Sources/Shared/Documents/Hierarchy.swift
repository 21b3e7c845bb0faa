/// The two-level label hierarchy (DESIGN §2.1). The order of `coarse` and `fine` fixes class indices.
///
/// JSON: `{"coarse": [...], "fine": [...], "parent": {"fine": "coarse", ...}}`.
public struct Hierarchy: Codable, Equatable, Sendable {
    public var coarse: [String]
    public var fine: [String]
    public var parent: [String: String]

    public init(coarse: [String], fine: [String], parent: [String: String]) {
        self.coarse = coarse
        self.fine = fine
        self.parent = parent
    }

    /// Checks the structural rules; `source` names the file in the error.
    public func validate(source: String) throws {
        guard !coarse.isEmpty, !fine.isEmpty else {
            throw ToolError("hierarchy needs at least one coarse and one fine class", at: source)
        }
        if let dup = firstDuplicate(coarse) { throw ToolError("coarse class '\(dup)' listed twice", at: source) }
        if let dup = firstDuplicate(fine) { throw ToolError("fine class '\(dup)' listed twice", at: source) }
        for label in fine {
            guard let p = parent[label] else {
                throw ToolError(
                    "fine label '\(label)' has no parent", at: source,
                    hint: "add \"\(label)\": \"<coarse class>\" to \"parent\"")
            }
            guard coarse.contains(p) else {
                throw ToolError("parent '\(p)' of fine label '\(label)' is not a coarse class", at: source)
            }
        }
        for key in parent.keys.sorted() where !fine.contains(key) {
            throw ToolError("'parent' names '\(key)', which is not a fine class", at: source)
        }
    }

    public var coarseCount: Int { coarse.count }
    public var fineCount: Int { fine.count }

    /// π: fine class index → coarse class index. Valid after `validate`.
    public var parentIndex: [Int] {
        fine.map { label in coarse.firstIndex(of: parent[label]!)! }
    }

    public func fineIndex(of label: String) -> Int? { fine.firstIndex(of: label) }

    private func firstDuplicate(_ list: [String]) -> String? {
        var seen = Set<String>()
        for item in list where !seen.insert(item).inserted { return item }
        return nil
    }
}
