import Shared

/// How well a run's attention finds the key garments, from its test bags of the classes that have key
/// garments (not `normal`). Each bag's score for an instance is its attention in the row of the bag's
/// true fine class (a flat model's only row) times the bag's instance count N, so 1 means "as much as
/// uniform attention" whatever the bag's size; instances are labelled key or background.
struct KeyGarmentAUC {
    /// One AUC over the instances of all bags pooled (the N-scaling puts bags on one scale).
    var pooled: Double?
    /// The mean of each bag's own AUC (ranks within a bag only; no scaling question).
    var perBagMean: Double?
    var bags = 0
    var instances = 0
    var keys = 0

    private var scores: [Double] = []
    private var labels: [Bool] = []
    private var bagAUCs: [Double] = []

    /// Adds one bag: its attention row [N] and key flags [N].
    mutating func add(attention: [Double], isKey: [Bool]) {
        precondition(attention.count == isKey.count, "one key flag per instance")
        let n = Double(attention.count)
        let scaled = attention.map { $0 * n }
        scores += scaled
        labels += isKey
        if let auc = RankedScores(scores: scaled).area(positive: isKey) { bagAUCs.append(auc) }
        bags += 1
        instances += attention.count
        keys += isKey.filter { $0 }.count
    }

    /// Computes the two summaries from the bags added.
    mutating func finish() {
        pooled = scores.isEmpty ? nil : RankedScores(scores: scores).area(positive: labels)
        perBagMean = bagAUCs.isEmpty ? nil : bagAUCs.reduce(0, +) / Double(bagAUCs.count)
    }
}
