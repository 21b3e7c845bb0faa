/// How well one attention row finds a bag's key instances, over many bags (`hmil-eval --instance-labels`):
/// the instance-level ROC AUC of key against other instances, scored by attention.
///
/// - **pooled**: one AUC over the instances of every scored bag, each instance scored by its attention
///   times its bag's instance count N. Attention is a softmax over a bag's instances, so a uniform row is
///   1/N: unscaled, every instance of a small bag would outrank every instance of a large one, and the
///   pooled AUC would measure bag sizes as much as attention. Scaled, 1 means "as much as uniform
///   attention" in every bag. (Within a bag the scaling changes nothing: N·a is exact in Double for a
///   float32 a, so ties stay ties.)
/// - **bag mean**: the mean of each scored bag's own AUC (ranks within a bag only; no scaling question).
///
/// A bag is scored when it has at least one key and one other instance; bags without key instances (a
/// normal slide), bags of key instances only and bags without labels are counted and left out of both.
/// Ties are handled as scikit-learn's `roc_auc_score` (`RankedScores`). Memory: 9 bytes per instance of
/// the scored bags (score and flag), kept until the report, since the pooled AUC ranks them all at once.
public struct InstanceAttentionScores: Sendable {
    /// attention × N of every instance of the scored bags, bag after bag.
    public private(set) var scores: [Double] = []
    /// Key instance or not, aligned with `scores`.
    public private(set) var isKey: [Bool] = []
    /// Each scored bag's own AUC.
    public private(set) var bagAUCs: [Double] = []
    public private(set) var bagsWithoutPositives = 0
    public private(set) var bagsWithoutNegatives = 0
    public private(set) var bagsWithoutLabels = 0
    public private(set) var positives = 0

    public init() {}

    /// Adds one bag: its attention row (a softmax over its N instances) and the key flags of its
    /// instances, nil when the bag has no labels.  [N], [N]
    public mutating func add<Row: Collection>(attention: Row, isKey flags: [Bool]?) where Row.Element == Float {
        guard let flags else {
            bagsWithoutLabels += 1
            return
        }
        precondition(attention.count == flags.count, "one key flag per instance")
        let keys = flags.reduce(0) { $0 + ($1 ? 1 : 0) }
        if keys == 0 {
            bagsWithoutPositives += 1
            return
        }
        if keys == flags.count {
            bagsWithoutNegatives += 1
            return
        }
        let scaled = Self.scaled(attention)
        bagAUCs.append(RankedScores(scores: scaled).area(positive: flags)!)
        scores += scaled
        isKey += flags
        positives += keys
    }

    /// Adds another accumulator's bags (e.g. another fold's), after this one's.
    public mutating func merge(_ other: InstanceAttentionScores) {
        scores += other.scores
        isKey += other.isKey
        bagAUCs += other.bagAUCs
        bagsWithoutPositives += other.bagsWithoutPositives
        bagsWithoutNegatives += other.bagsWithoutNegatives
        bagsWithoutLabels += other.bagsWithoutLabels
        positives += other.positives
    }

    /// Bags scored (with key and other instances).
    public var bags: Int { bagAUCs.count }

    /// The pooled AUC; nil when no bag was scored.
    public var pooledAUC: Double? { scores.isEmpty ? nil : RankedScores(scores: scores).area(positive: isKey) }

    /// The mean of the scored bags' AUCs; nil when no bag was scored.
    public var bagMeanAUC: Double? { bagAUCs.isEmpty ? nil : bagAUCs.reduce(0, +) / Double(bagAUCs.count) }

    public func report() -> InstanceAttentionReport {
        InstanceAttentionReport(
            pooledAUC: pooledAUC, bagMeanAUC: bagMeanAUC, bags: bags, bagsWithoutPositives: bagsWithoutPositives,
            bagsWithoutNegatives: bagsWithoutNegatives, bagsWithoutLabels: bagsWithoutLabels,
            instances: scores.count, positives: positives)
    }

    /// One bag's AUC of its key instances against the others; nil when the bag lacks either.  [N], [N]
    public static func bagAUC<Row: Collection>(attention: Row, isKey flags: [Bool]) -> Double? where Row.Element == Float {
        precondition(attention.count == flags.count, "one key flag per instance")
        return RankedScores(scores: scaled(attention)).area(positive: flags)
    }

    /// attention × N, in Double.  [N]
    static func scaled<Row: Collection>(_ attention: Row) -> [Double] where Row.Element == Float {
        let n = Double(attention.count)
        return attention.map { Double($0) * n }
    }
}

/// What `InstanceAttentionScores` found for one attention row on one fold's part (or on all folds' bags
/// pooled). The AUCs are nil when no bag has both key and other instances.
public struct InstanceAttentionReport: Equatable, Sendable {
    /// AUC over the instances of every scored bag, each scored by attention × its bag's size.
    public var pooledAUC: Double?
    /// Mean of the scored bags' own AUCs.
    public var bagMeanAUC: Double?
    /// Bags scored: with at least one key and one other instance.
    public var bags: Int
    /// Bags left out because none of their instances is key.
    public var bagsWithoutPositives: Int
    /// Bags left out because all of their instances are key.
    public var bagsWithoutNegatives: Int
    /// Bags left out because the instance labels file has no rows for them.
    public var bagsWithoutLabels: Int
    /// Instances of the scored bags, and how many of them are key.
    public var instances: Int
    public var positives: Int

    public init(
        pooledAUC: Double?, bagMeanAUC: Double?, bags: Int, bagsWithoutPositives: Int, bagsWithoutNegatives: Int,
        bagsWithoutLabels: Int, instances: Int, positives: Int
    ) {
        self.pooledAUC = pooledAUC
        self.bagMeanAUC = bagMeanAUC
        self.bags = bags
        self.bagsWithoutPositives = bagsWithoutPositives
        self.bagsWithoutNegatives = bagsWithoutNegatives
        self.bagsWithoutLabels = bagsWithoutLabels
        self.instances = instances
        self.positives = positives
    }
}
