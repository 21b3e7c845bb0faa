/// The bags of one part (train, val or test) of a fold with their fine labels, in plan order.
public struct FoldPart: Sendable {
    public var slideIDs: [String]
    public var fineLabels: [Int]

    public var count: Int { slideIDs.count }
}

/// A fold's parts resolved against the hierarchy and the packs, with the checks that make training
/// meaningful: a non-empty training part and every fine class present in it.
public struct FoldData: Sendable {
    public let fold: Int
    public let train: FoldPart
    public let val: FoldPart
    public let test: FoldPart

    public init(document: PipelineDocument, fold: Int, source: String, bags: BagSource?) throws {
        guard let record = document.folds.first(where: { $0.fold == fold }) else {
            let known = document.folds.map { String($0.fold) }.joined(separator: ", ")
            throw ToolError("no fold \(fold) in the plan", at: source, hint: "folds are: \(known)")
        }
        let hierarchy = document.hierarchy
        var labelOf: [String: Int] = [:]
        for slide in document.slides {
            guard let label = hierarchy.fineIndex(of: slide.label) else {
                throw ToolError("label '\(slide.label)' is not a fine class of the hierarchy", at: "slide \(slide.slideID), \(source)")
            }
            labelOf[slide.slideID] = label
        }
        func part(_ ids: [String], _ name: String) throws -> FoldPart {
            var labels: [Int] = []
            labels.reserveCapacity(ids.count)
            for id in ids {
                guard let label = labelOf[id] else {
                    throw ToolError("fold \(fold) \(name) part names slide '\(id)', which is not in 'slides'", at: source)
                }
                if let bags, !bags.contains(id) {
                    throw ToolError(
                        "slide is not in the dataset's packs", at: "slide \(id), fold \(fold), \(source)",
                        hint: "re-run hmil-pack for this plan")
                }
                labels.append(label)
            }
            return FoldPart(slideIDs: ids, fineLabels: labels)
        }
        self.fold = fold
        train = try part(record.train, "train")
        val = try part(record.val, "val")
        test = try part(record.test, "test")
    }

    /// Errors when the training part cannot train every class.
    public func checkTrainable(hierarchy: Hierarchy, source: String) throws {
        guard train.count > 0 else {
            throw ToolError("fold \(fold) has an empty training part", at: source, hint: "check the split plan")
        }
        let present = Set(train.fineLabels)
        for (j, name) in hierarchy.fine.enumerated() where !present.contains(j) {
            throw ToolError(
                "fine class '\(name)' is absent from the training part of fold \(fold)", at: source,
                hint: "use a split that stratifies by label, or drop the class from the hierarchy")
        }
    }
}
