/// All metrics of one level under one weighting of the bags (1 each, or a bootstrap resample).
public struct LevelScores: Sendable {
    public let classification: ClassificationScores
    /// One-vs-rest AUC of each class; nil when the class (or every other class) is absent.  [K]
    public let classAUC: [Double?]
    /// Classes left out of the macro AUC because they do not occur in the labels.
    public let aucClassesLeftOut: [Int]
    /// The defined scalar metrics.
    public let values: [ScalarMetric: Double]
    /// Why each undefined scalar metric is undefined.
    public let undefined: [ScalarMetric: String]
}

/// Computes `LevelScores` for any weighting of one level's bags; ranks each class's scores once.
public struct LevelScorer: Sendable {
    public let predictions: LevelPredictions
    private let rankings: [RankedScores]  // [K]
    private let isClass: [[Bool]]  // [K][n]

    public init(_ predictions: LevelPredictions) {
        self.predictions = predictions
        let k = predictions.classCount
        rankings = (0..<k).map { RankedScores(scores: predictions.scores(of: $0)) }
        isClass = (0..<k).map { c in predictions.labels.map { $0 == c } }
    }

    /// The ROC curve of class `c` against the rest, nil when undefined.
    public func rocCurve(of c: Int) -> ROCCurve? { rankings[c].curve(positive: isClass[c]) }

    /// Scores with bag i counted `weights[i]` times (once each when nil).
    public func scores(weights: [Double]? = nil) -> LevelScores {
        let p = predictions
        let k = p.classCount
        let matrix = ConfusionMatrix(labels: p.labels, predictions: p.predictions, classCount: k, weights: weights)
        let classification = ClassificationScores(matrix)
        let classAUC = (0..<k).map { rankings[$0].area(positive: isClass[$0], weights: weights) }

        var values: [ScalarMetric: Double] = [:]
        var undefined: [ScalarMetric: String] = [:]
        func put(_ metric: ScalarMetric, _ value: Double?, _ reason: @autoclosure () -> String) {
            if let value { values[metric] = value } else { undefined[metric] = reason() }
        }
        let empty = "no slides"
        put(.accuracy, classification.accuracy, empty)
        put(.balancedAccuracy, classification.balancedAccuracy, empty)
        put(.precisionMacro, classification.precisionMacro, empty)
        put(.recallMacro, classification.recallMacro, empty)
        put(.f1Macro, classification.f1Macro, empty)
        put(.precisionWeighted, classification.precisionWeighted, empty)
        put(.recallWeighted, classification.recallWeighted, empty)
        put(.f1Weighted, classification.f1Weighted, empty)
        put(
            .kappaQuadratic, classification.kappaQuadratic,
            classification.accuracy == nil ? empty : "labels and predictions are all one class: expected disagreement is zero")

        let present = (0..<k).filter { classification.support[$0] > 0 }
        let leftOut = (0..<k).filter { classification.support[$0] == 0 }
        if present.count < 2 {
            let reason =
                present.isEmpty
                ? empty
                : k == 1 ? "the level has one class" : "only class '\(p.classes[present[0]])' occurs in the labels"
            undefined[.aucMacro] = reason
        } else if k == 2 {
            values[.aucMacro] = classAUC[1]!
        } else {
            values[.aucMacro] = present.reduce(0) { $0 + classAUC[$1]! } / Double(present.count)
        }
        return LevelScores(
            classification: classification, classAUC: classAUC,
            aucClassesLeftOut: present.count < 2 ? [] : leftOut, values: values, undefined: undefined)
    }
}
