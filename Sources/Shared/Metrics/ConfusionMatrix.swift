/// Weighted counts of (true class, predicted class) pairs: rows are true classes, columns predictions,
/// as scikit-learn's `confusion_matrix(y_true, y_pred, labels=range(K), sample_weight=w)`.
///
/// Weights are counts: 1 per bag for the plain metrics, the resample multiplicity in a bootstrap.
public struct ConfusionMatrix: Equatable, Sendable {
    public let classCount: Int
    /// [K, K] row-major, rows true class, columns predicted class.
    public private(set) var counts: [Double]

    public init(classCount: Int) {
        precondition(classCount > 0, "a level has at least one class")
        self.classCount = classCount
        counts = [Double](repeating: 0, count: classCount * classCount)
    }

    /// Tallies `labels[i] → predictions[i]` with weight `weights[i]` (1 when nil). Indices must be < K.
    public init(labels: [Int], predictions: [Int], classCount: Int, weights: [Double]? = nil) {
        precondition(labels.count == predictions.count, "one prediction per label")
        precondition(weights == nil || weights!.count == labels.count, "one weight per label")
        self.init(classCount: classCount)
        for i in labels.indices {
            add(truth: labels[i], predicted: predictions[i], weight: weights?[i] ?? 1)
        }
    }

    public mutating func add(truth: Int, predicted: Int, weight: Double = 1) {
        precondition(truth >= 0 && truth < classCount && predicted >= 0 && predicted < classCount, "class index out of range")
        counts[truth * classCount + predicted] += weight
    }

    public subscript(truth: Int, predicted: Int) -> Double {
        counts[truth * classCount + predicted]
    }

    /// Weighted number of bags of each true class (scikit-learn's `support`).  [K]
    public var support: [Double] {
        (0..<classCount).map { row in (0..<classCount).reduce(0) { $0 + self[row, $1] } }
    }

    /// Weighted number of bags predicted as each class.  [K]
    public var predictedCounts: [Double] {
        (0..<classCount).map { column in (0..<classCount).reduce(0) { $0 + self[$1, column] } }
    }

    public var total: Double { counts.reduce(0, +) }

    /// The counts as integers (for a report of unweighted bags).
    public var integerRows: [[Int]] {
        (0..<classCount).map { row in (0..<classCount).map { Int(self[row, $0].rounded()) } }
    }
}
