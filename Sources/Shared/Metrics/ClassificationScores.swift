/// The metrics of DESIGN §5 that depend only on the confusion matrix, with scikit-learn's definitions:
///
/// - accuracy: trace / total;
/// - balanced accuracy: mean recall over the classes that occur in the labels (`balanced_accuracy_score`);
/// - per-class precision, recall, F1 with zero division → 0; F1 = 2·tp / (2·tp + fp + fn);
/// - macro averages over the classes that occur in the labels or the predictions (scikit-learn's
///   `labels=None`), weighted averages weighted by support;
/// - specificity tn / (tn + fp), undefined for a class when every bag belongs to it;
/// - quadratic-weighted Cohen's kappa over all K classes in index order (`cohen_kappa_score(labels=range(K),
///   weights='quadratic')`: the distance between classes i and j is (i − j)² even when a class between
///   them never occurs), undefined when the expected disagreement is zero.
public struct ClassificationScores: Sendable {
    public let classCount: Int
    /// nil only when the matrix is empty.
    public let accuracy: Double?
    public let balancedAccuracy: Double?
    public let precision: [Double]  // [K]
    public let recall: [Double]  // [K]
    public let f1: [Double]  // [K]
    public let specificity: [Double?]  // [K]
    public let support: [Double]  // [K]
    public let predictedCounts: [Double]  // [K]
    public let precisionMacro: Double?
    public let recallMacro: Double?
    public let f1Macro: Double?
    public let precisionWeighted: Double?
    public let recallWeighted: Double?
    public let f1Weighted: Double?
    public let kappaQuadratic: Double?

    public init(_ matrix: ConfusionMatrix) {
        let k = matrix.classCount
        let support = matrix.support
        let predicted = matrix.predictedCounts
        let total = matrix.total
        self.classCount = k
        self.support = support
        self.predictedCounts = predicted

        var precision = [Double](repeating: 0, count: k)
        var recall = [Double](repeating: 0, count: k)
        var f1 = [Double](repeating: 0, count: k)
        var specificity = [Double?](repeating: nil, count: k)
        var trace = 0.0
        for c in 0..<k {
            let tp = matrix[c, c]
            let fp = predicted[c] - tp
            let fn = support[c] - tp
            let tn = total - tp - fp - fn
            trace += tp
            precision[c] = predicted[c] > 0 ? tp / predicted[c] : 0
            recall[c] = support[c] > 0 ? tp / support[c] : 0
            let f1Denominator = 2 * tp + fp + fn
            f1[c] = f1Denominator > 0 ? 2 * tp / f1Denominator : 0
            specificity[c] = tn + fp > 0 ? tn / (tn + fp) : nil
        }
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.specificity = specificity

        guard total > 0 else {
            accuracy = nil
            balancedAccuracy = nil
            precisionMacro = nil
            recallMacro = nil
            f1Macro = nil
            precisionWeighted = nil
            recallWeighted = nil
            f1Weighted = nil
            kappaQuadratic = nil
            return
        }
        accuracy = trace / total

        let inLabels = (0..<k).filter { support[$0] > 0 }
        balancedAccuracy = inLabels.reduce(0) { $0 + recall[$1] } / Double(inLabels.count)

        let occurring = (0..<k).filter { support[$0] > 0 || predicted[$0] > 0 }
        func macro(_ values: [Double]) -> Double {
            occurring.reduce(0) { $0 + values[$1] } / Double(occurring.count)
        }
        func weighted(_ values: [Double]) -> Double {
            (0..<k).reduce(0) { $0 + values[$1] * support[$1] } / total
        }
        precisionMacro = macro(precision)
        recallMacro = macro(recall)
        f1Macro = macro(f1)
        precisionWeighted = weighted(precision)
        recallWeighted = weighted(recall)
        f1Weighted = weighted(f1)
        kappaQuadratic = Self.quadraticKappa(matrix, support: support, predicted: predicted, total: total)
    }

    /// κ = 1 − Σ w·O / Σ w·E with w[i][j] = (i − j)², E = outer(support, predicted) / total (as scikit-learn).
    static func quadraticKappa(_ matrix: ConfusionMatrix, support: [Double], predicted: [Double], total: Double) -> Double? {
        let k = matrix.classCount
        var observed = 0.0
        var expected = 0.0
        for i in 0..<k {
            for j in 0..<k where i != j {
                let w = Double((i - j) * (i - j))
                observed += w * matrix[i, j]
                expected += w * support[i] * predicted[j] / total
            }
        }
        guard expected > 0 else { return nil }
        return 1 - observed / expected
    }
}
