/// One-vs-rest ROC analysis of one class's scores, as scikit-learn's `roc_curve` / `roc_auc_score`:
/// bags are ranked by descending score, bags with equal scores form one threshold (so a tie moves the
/// curve diagonally), and the area is the trapezoid rule on the (fpr, tpr) points starting at (0, 0).
///
/// The ranking is computed once; `curve(positive:weights:)` then takes any weights in one linear pass,
/// which is what makes a 1000-resample bootstrap cheap (a resample is a vector of multiplicities).
public struct RankedScores: Sendable {
    /// Bag indices by descending score.  [n]
    public let order: [Int]
    /// `groupEnds[g]` is one past the last position in `order` of the g-th group of equal scores.
    public let groupEnds: [Int]
    /// The score of each group, descending.
    public let thresholds: [Double]

    /// Ranks `scores` (finite). Equal scores compare equal exactly, as numpy's `diff(...) != 0`.
    public init(scores: [Double]) {
        let order = scores.indices.sorted { a, b in
            scores[a] != scores[b] ? scores[a] > scores[b] : a < b
        }
        var ends: [Int] = []
        var thresholds: [Double] = []
        for position in order.indices {
            let isLastOfGroup = position == order.count - 1 || scores[order[position + 1]] != scores[order[position]]
            if isLastOfGroup {
                ends.append(position + 1)
                thresholds.append(scores[order[position]])
            }
        }
        self.order = order
        self.groupEnds = ends
        self.thresholds = thresholds
    }

    /// The ROC curve for `positive[i]` bags against the rest, bag i counted `weights[i]` times (1 when nil).
    /// nil when the positives or the negatives have no weight: the curve is undefined.
    public func curve(positive: [Bool], weights: [Double]? = nil) -> ROCCurve? {
        precondition(positive.count == order.count && (weights == nil || weights!.count == order.count))
        var falsePositives = [0.0]
        var truePositives = [0.0]
        falsePositives.reserveCapacity(groupEnds.count + 1)
        truePositives.reserveCapacity(groupEnds.count + 1)
        var tp = 0.0
        var fp = 0.0
        var start = 0
        for end in groupEnds {
            for position in start..<end {
                let bag = order[position]
                let w = weights?[bag] ?? 1
                if positive[bag] { tp += w } else { fp += w }
            }
            start = end
            // A group whose bags all have zero weight adds no point (scikit-learn drops zero-weight bags).
            if tp != truePositives.last! || fp != falsePositives.last! {
                truePositives.append(tp)
                falsePositives.append(fp)
            }
        }
        guard tp > 0, fp > 0 else { return nil }
        return ROCCurve(falsePositiveRate: falsePositives.map { $0 / fp }, truePositiveRate: truePositives.map { $0 / tp })
    }

    /// The area under `curve(positive:weights:)`, without keeping the points.
    public func area(positive: [Bool], weights: [Double]? = nil) -> Double? {
        precondition(positive.count == order.count && (weights == nil || weights!.count == order.count))
        var tp = 0.0
        var fp = 0.0
        var twiceArea = 0.0  // Σ Δfp · (tp_prev + tp), in counts; normalised at the end
        var start = 0
        for end in groupEnds {
            let previousTP = tp
            let previousFP = fp
            for position in start..<end {
                let bag = order[position]
                let w = weights?[bag] ?? 1
                if positive[bag] { tp += w } else { fp += w }
            }
            start = end
            twiceArea += (fp - previousFP) * (tp + previousTP)
        }
        guard tp > 0, fp > 0 else { return nil }
        return twiceArea / (2 * tp * fp)
    }
}

/// Points of a ROC curve from (0, 0) to (1, 1), one per distinct score threshold.
public struct ROCCurve: Equatable, Sendable {
    public var falsePositiveRate: [Double]
    public var truePositiveRate: [Double]

    /// Trapezoid rule over the points, as `sklearn.metrics.auc`.
    public var area: Double {
        var sum = 0.0
        for i in 1..<falsePositiveRate.count {
            sum += (falsePositiveRate[i] - falsePositiveRate[i - 1]) * (truePositiveRate[i] + truePositiveRate[i - 1]) / 2
        }
        return sum
    }
}
