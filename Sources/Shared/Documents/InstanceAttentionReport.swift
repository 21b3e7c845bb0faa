/// The attention rows scored against key instances (`hmil-eval --instance-labels`): `fine`, the row of
/// the bag's true fine class (the flat ABMIL model: its one row), and `coarse`, the row of the bag's
/// true coarse class (HMIL only). The JSON keys are the raw values.
public enum AttentionLevel: String, CaseIterable, Codable, CodingKeyRepresentable, Sendable {
    case fine
    case coarse
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

    enum CodingKeys: String, CodingKey {
        case pooledAUC = "pooled_auc"
        case bagMeanAUC = "bag_mean_auc"
        case allFolds = "all_folds"
    }
}

/// `{"pooled_auc": .., "bag_mean_auc": .., "bags": n, "bags_without_positives": n, "bags_without_negatives": n,
/// "bags_without_labels": n, "instances": n, "positives": n}`; the AUCs are null, not absent, when no bag was scored.
extension InstanceAttentionReport: Codable {
    enum CodingKeys: String, CodingKey {
        case pooledAUC = "pooled_auc"
        case bagMeanAUC = "bag_mean_auc"
        case bags
        case bagsWithoutPositives = "bags_without_positives"
        case bagsWithoutNegatives = "bags_without_negatives"
        case bagsWithoutLabels = "bags_without_labels"
        case instances, positives
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            pooledAUC: try c.decodeIfPresent(Double.self, forKey: .pooledAUC),
            bagMeanAUC: try c.decodeIfPresent(Double.self, forKey: .bagMeanAUC),
            bags: try c.decode(Int.self, forKey: .bags),
            bagsWithoutPositives: try c.decode(Int.self, forKey: .bagsWithoutPositives),
            bagsWithoutNegatives: try c.decode(Int.self, forKey: .bagsWithoutNegatives),
            bagsWithoutLabels: try c.decode(Int.self, forKey: .bagsWithoutLabels),
            instances: try c.decode(Int.self, forKey: .instances), positives: try c.decode(Int.self, forKey: .positives))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pooledAUC, forKey: .pooledAUC)
        try c.encode(bagMeanAUC, forKey: .bagMeanAUC)
        try c.encode(bags, forKey: .bags)
        try c.encode(bagsWithoutPositives, forKey: .bagsWithoutPositives)
        try c.encode(bagsWithoutNegatives, forKey: .bagsWithoutNegatives)
        try c.encode(bagsWithoutLabels, forKey: .bagsWithoutLabels)
        try c.encode(instances, forKey: .instances)
        try c.encode(positives, forKey: .positives)
    }
}
