/// Mean, sample standard deviation (n − 1) and standard error of a metric across folds.
public struct CrossFoldStatistic: Equatable, Sendable {
    public var mean: Double?
    /// nil with fewer than two defined folds.
    public var std: Double?
    public var sem: Double?
    /// Number of folds where the metric is defined.
    public var folds: Int
    /// Folds where it is undefined (e.g. AUC on a fold with one class).
    public var undefinedFolds: [Int]

    public init(mean: Double?, std: Double?, sem: Double?, folds: Int, undefinedFolds: [Int]) {
        self.mean = mean
        self.std = std
        self.sem = sem
        self.folds = folds
        self.undefinedFolds = undefinedFolds
    }

    /// Statistics over the folds where the metric is defined; the others are listed.
    public init(values: [(fold: Int, value: Double?)]) {
        let defined = values.compactMap(\.value)
        undefinedFolds = values.filter { $0.value == nil }.map(\.fold)
        folds = defined.count
        guard !defined.isEmpty else {
            mean = nil
            std = nil
            sem = nil
            return
        }
        let mean = defined.reduce(0, +) / Double(defined.count)
        self.mean = mean
        if defined.count > 1 {
            let variance = defined.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(defined.count - 1)
            std = variance.squareRoot()
            sem = variance.squareRoot() / Double(defined.count).squareRoot()
        } else {
            std = nil
            sem = nil
        }
    }
}
