import Foundation

/// The seam between whatever produced per-slide probabilities and the metrics: the results of one fold's
/// part (test or val) at every level that applies, all with the same slides in the same order.
///
/// - A hierarchical model's checkpoint gives the coarse and fine heads; `coarse_from_fine` is derived, and
///   `fine_hierarchical` too when a β is given (`HierarchicalDecision`). Build it with
///   `PartPredictionsBuilder`, one `append` per slide, straight from the model's `BagOutput`.
/// - A fine-level prediction CSV gives `fine` and the derived `coarse_from_fine`; a coarse one gives `coarse`.
public struct PartPredictions: Sendable {
    public var fold: Int
    public var part: EvaluationPart
    public var levels: [EvaluationLevel: LevelPredictions]
    /// π, fine class index → coarse class index; needed for hierarchy consistency when `fine` is present.
    public var fineParent: [Int]?
    /// The attention scored against key instances (`--instance-labels`); nil when none were given.
    public var instanceAttention: InstanceAttention?

    public init(fold: Int, part: EvaluationPart, levels: [EvaluationLevel: LevelPredictions], fineParent: [Int]?) {
        let ids = levels.values.first?.slideIDs
        precondition(levels.values.allSatisfy { $0.slideIDs == ids }, "every level lists the same slides in the same order")
        self.fold = fold
        self.part = part
        self.levels = levels
        self.fineParent = fineParent
    }

    /// The levels of a hierarchical model (`coarseProbabilities` nil for the flat ABMIL baseline, which has
    /// no coarse head). Probabilities are softmax outputs, rows in slide order.
    /// - Parameters:
    ///   - fineLabels: true fine class index of each slide.  [n]
    ///   - fineProbabilities: [n, Kf]
    ///   - coarseProbabilities: [n, Kc]
    ///   - hierarchyBeta: β of the `fine_hierarchical` level (needs `coarseProbabilities`); nil: no such level.
    public init(
        fold: Int, part: EvaluationPart, hierarchy: Hierarchy, slideIDs: [String], fineLabels: [Int],
        fineProbabilities: [Double], coarseProbabilities: [Double]?, hierarchyBeta: Double? = nil
    ) {
        precondition(hierarchyBeta == nil || coarseProbabilities != nil, "the hierarchical decision needs a coarse head")
        let parent = hierarchy.parentIndex
        let fine = LevelPredictions(classes: hierarchy.fine, slideIDs: slideIDs, labels: fineLabels, probabilities: fineProbabilities)
        var levels: [EvaluationLevel: LevelPredictions] = [
            .fine: fine,
            .coarseFromFine: fine.summedIntoParents(parent, coarseClasses: hierarchy.coarse)
        ]
        if let coarseProbabilities {
            levels[.coarse] = LevelPredictions(
                classes: hierarchy.coarse, slideIDs: slideIDs, labels: fineLabels.map { parent[$0] },
                probabilities: coarseProbabilities)
            if let beta = hierarchyBeta {
                levels[.fineHierarchical] = LevelPredictions(
                    classes: hierarchy.fine, slideIDs: slideIDs, labels: fineLabels,
                    probabilities: HierarchicalDecision.probabilities(
                        fine: fineProbabilities, coarse: coarseProbabilities, parent: parent,
                        coarseCount: hierarchy.coarseCount, beta: beta))
            }
        }
        self.init(fold: fold, part: part, levels: levels, fineParent: parent)
    }

    public var slideIDs: [String] { levels.values.first?.slideIDs ?? [] }
}

/// Collects a model's outputs slide by slide for one fold's part, then yields `PartPredictions`.
/// Softmax is taken in Double from the logits, so the CSVs carry the model's probabilities exactly.
public struct PartPredictionsBuilder {
    public let fold: Int
    public let part: EvaluationPart
    public let hierarchy: Hierarchy
    /// β of the `fine_hierarchical` level; nil: no such level.
    public let hierarchyBeta: Double?
    private var slideIDs: [String] = []
    private var fineLabels: [Int] = []
    private var fine: [Double] = []
    private var coarse: [Double] = []
    private var hasCoarseHead: Bool?
    private var instanceAttention: InstanceAttention?

    /// With `scoresAttention`, `scoreAttention` adds each bag's attention against its key instances.
    public init(fold: Int, part: EvaluationPart, hierarchy: Hierarchy, hierarchyBeta: Double? = nil, scoresAttention: Bool = false) {
        self.fold = fold
        self.part = part
        self.hierarchy = hierarchy
        self.hierarchyBeta = hierarchyBeta
        instanceAttention = scoresAttention ? InstanceAttention() : nil
    }

    /// Scores one bag's attention (a prediction made with `keepOutputs`) against its key flags (nil: the
    /// labels file has no rows for the bag).
    public mutating func scoreAttention(_ prediction: BagPrediction, fineLabel: Int, isKey: [Bool]?) {
        guard let output = prediction.output else { preconditionFailure("predict with keepOutputs to score attention") }
        precondition(instanceAttention != nil, "made with scoresAttention")
        instanceAttention!.add(output, fineLabel: fineLabel, parent: hierarchy.parentIndex, isKey: isKey)
    }

    /// Adds one slide: its true fine class index and the forward pass's logits (coarse logits empty for ABMIL).
    public mutating func append(slideID: String, fineLabel: Int, output: BagOutput) {
        append(
            slideID: slideID, fineLabel: fineLabel, fineProbabilities: Softmax.probabilities(output.fineLogits),
            coarseProbabilities: output.coarseLogits.isEmpty ? nil : Softmax.probabilities(output.coarseLogits))
    }

    /// Adds one slide as `Predictor` predicted it (softmax of the logits, in Double).
    public mutating func append(slideID: String, fineLabel: Int, prediction: BagPrediction) {
        append(
            slideID: slideID, fineLabel: fineLabel, fineProbabilities: prediction.fineProbabilities,
            coarseProbabilities: prediction.coarseProbabilities)
    }

    /// Adds one slide's probabilities: fine [Kf], coarse [Kc] (nil for the flat model).
    public mutating func append(slideID: String, fineLabel: Int, fineProbabilities: [Double], coarseProbabilities: [Double]?) {
        precondition(fineProbabilities.count == hierarchy.fineCount, "fine probabilities are [Kf]")
        let coarseHead = coarseProbabilities != nil
        precondition(hasCoarseHead == nil || hasCoarseHead == coarseHead, "every slide comes from the same model")
        precondition(coarseProbabilities.map { $0.count == hierarchy.coarseCount } ?? true, "coarse probabilities are [Kc]")
        hasCoarseHead = coarseHead
        slideIDs.append(slideID)
        fineLabels.append(fineLabel)
        fine += fineProbabilities
        if let coarseProbabilities { coarse += coarseProbabilities }
    }

    public func build() -> PartPredictions {
        var predictions = PartPredictions(
            fold: fold, part: part, hierarchy: hierarchy, slideIDs: slideIDs, fineLabels: fineLabels,
            fineProbabilities: fine, coarseProbabilities: hasCoarseHead == true ? coarse : nil,
            hierarchyBeta: hasCoarseHead == true ? hierarchyBeta : nil)
        predictions.instanceAttention = instanceAttention
        return predictions
    }
}
