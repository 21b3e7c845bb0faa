/// The attention rows scored against key instances (`hmil-eval --instance-labels`): `fine`, the row of
/// the bag's true fine class (the flat ABMIL model: its one row), and `coarse`, the row of the bag's
/// true coarse class (HMIL only). The JSON keys are the raw values.
public enum AttentionLevel: String, CaseIterable, Codable, CodingKeyRepresentable, Sendable {
    case fine
    case coarse
}

/// One attention row's instance-level AUC on one fold's part (or on all folds' bags pooled), see
/// `InstanceAttentionScores`. The AUCs are null when no bag has both key and other instances.
public struct InstanceAttentionReport: Codable, Equatable, Sendable {
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

    public init(pooledAUC: Double?, bagMeanAUC: Double?, bags: Int, bagsWithoutPositives: Int, bagsWithoutNegatives: Int,
                bagsWithoutLabels: Int, instances: Int, positives: Int) {
        self.pooledAUC = pooledAUC
        self.bagMeanAUC = bagMeanAUC
        self.bags = bags
        self.bagsWithoutPositives = bagsWithoutPositives
        self.bagsWithoutNegatives = bagsWithoutNegatives
        self.bagsWithoutLabels = bagsWithoutLabels
        self.instances = instances
        self.positives = positives
    }

    enum CodingKeys: String, CodingKey {
        case pooledAUC = "pooled_auc", bagMeanAUC = "bag_mean_auc", bags, bagsWithoutPositives = "bags_without_positives"
        case bagsWithoutNegatives = "bags_without_negatives", bagsWithoutLabels = "bags_without_labels", instances, positives
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pooledAUC, forKey: .pooledAUC)   // null, not absent, when no bag was scored
        try c.encode(bagMeanAUC, forKey: .bagMeanAUC)
        try c.encode(bags, forKey: .bags)
        try c.encode(bagsWithoutPositives, forKey: .bagsWithoutPositives)
        try c.encode(bagsWithoutNegatives, forKey: .bagsWithoutNegatives)
        try c.encode(bagsWithoutLabels, forKey: .bagsWithoutLabels)
        try c.encode(instances, forKey: .instances)
        try c.encode(positives, forKey: .positives)
    }
}

/// One attention row across the folds of a part: mean, std and sem of each fold's AUCs, and the AUCs of
/// all folds' bags pooled into one set (`all_folds`, each bag scored by its own fold's model).
public struct InstanceAttentionSummary: Codable, Equatable, Sendable {
    public var pooledAUC: CrossFoldStatistic
    public var bagMeanAUC: CrossFoldStatistic
    public var allFolds: InstanceAttentionReport?

    public init(pooledAUC: CrossFoldStatistic, bagMeanAUC: CrossFoldStatistic, allFolds: InstanceAttentionReport?) {
        self.pooledAUC = pooledAUC
        self.bagMeanAUC = bagMeanAUC
        self.allFolds = allFolds
    }

    enum CodingKeys: String, CodingKey { case pooledAUC = "pooled_auc", bagMeanAUC = "bag_mean_auc", allFolds = "all_folds" }
}
