/// Per-bag results of one classification level: what every metric, CSV and plot is computed from.
///
/// Shapes: n bags, K classes. `predictions` is what the classifier decided (the arg-max of the
/// probabilities for hmil's models; whatever the other tool wrote in `Y_hat` for a prediction CSV).
public struct LevelPredictions: Equatable, Sendable {
    public var classes: [String]  // [K]
    public var slideIDs: [String]  // [n]
    public var labels: [Int]  // [n], true class index
    public var predictions: [Int]  // [n], predicted class index
    public var probabilities: [Double]  // [n, K] row-major

    public init(classes: [String], slideIDs: [String], labels: [Int], predictions: [Int], probabilities: [Double]) {
        precondition(!classes.isEmpty, "a level has at least one class")
        precondition(labels.count == slideIDs.count && predictions.count == slideIDs.count, "one label and prediction per slide")
        precondition(probabilities.count == slideIDs.count * classes.count, "probabilities are [n, K]")
        precondition(
            labels.allSatisfy { $0 >= 0 && $0 < classes.count } && predictions.allSatisfy { $0 >= 0 && $0 < classes.count },
            "class indices are < K")
        self.classes = classes
        self.slideIDs = slideIDs
        self.labels = labels
        self.predictions = predictions
        self.probabilities = probabilities
    }

    /// Predictions as the arg-max of each row (the first maximum on ties, as numpy and torch).
    public init(classes: [String], slideIDs: [String], labels: [Int], probabilities: [Double]) {
        let k = classes.count
        let predictions = (0..<slideIDs.count).map { bag in Self.argmax(probabilities[(bag * k)..<(bag * k + k)]) }
        self.init(classes: classes, slideIDs: slideIDs, labels: labels, predictions: predictions, probabilities: probabilities)
    }

    public var count: Int { slideIDs.count }
    public var classCount: Int { classes.count }

    public func probability(bag: Int, class c: Int) -> Double { probabilities[bag * classes.count + c] }

    /// One class's probability for every bag.  [n]
    public func scores(of c: Int) -> [Double] { (0..<count).map { probability(bag: $0, class: c) } }

    /// The coarse level implied by fine probabilities: q[k] = Σ_{π(j)=k} p[j] (DESIGN §4), predicted as
    /// arg-max q; labels are the parents of the fine labels.
    public func summedIntoParents(_ parent: [Int], coarseClasses: [String]) -> LevelPredictions {
        precondition(parent.count == classCount, "one parent per fine class")
        let kc = coarseClasses.count
        var q = [Double](repeating: 0, count: count * kc)
        for bag in 0..<count {
            for j in 0..<classCount { q[bag * kc + parent[j]] += probability(bag: bag, class: j) }
        }
        return LevelPredictions(classes: coarseClasses, slideIDs: slideIDs, labels: labels.map { parent[$0] }, probabilities: q)
    }

    static func argmax(_ row: ArraySlice<Double>) -> Int {
        var best = row.startIndex
        for i in row.indices where row[i] > row[best] { best = i }
        return best - row.startIndex
    }
}
