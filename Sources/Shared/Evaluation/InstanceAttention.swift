/// One fold's part scored against key instances (`hmil-eval --instance-labels`): picks, from each bag's
/// model output, the attention row of each `AttentionLevel` and adds it to that level's
/// `InstanceAttentionScores`.
///
/// - `fine`: the row of the bag's true fine class, A_f[y_f] (the flat ABMIL model: its one row);
/// - `coarse`: the row of the bag's true coarse class, A_c[π(y_f)] (HMIL only: ABMIL has no coarse head).
///
/// The true class's row, because that is the row the model's decision for the right class reads; a row
/// of another class has no reason to point at this bag's key instances.
public struct InstanceAttention: Sendable {
    public private(set) var levels: [AttentionLevel: InstanceAttentionScores] = [:]

    public init() {}

    /// Adds one bag: the model's output, the bag's true fine class, π (fine → coarse index) and the
    /// key flags of its instances (nil when the labels file has no rows for it).
    public mutating func add(_ output: BagOutput, fineLabel: Int, parent: [Int], isKey: [Bool]?) {
        let n = output.instanceCount
        if output.coarseLogits.isEmpty {
            levels[.fine, default: InstanceAttentionScores()].add(attention: output.fineAttention[0..<n], isKey: isKey)
        } else {
            let j = fineLabel
            let k = parent[fineLabel]
            levels[.fine, default: InstanceAttentionScores()].add(attention: output.fineAttention[(j * n)..<(j * n + n)], isKey: isKey)
            levels[.coarse, default: InstanceAttentionScores()].add(
                attention: output.coarseAttention[(k * n)..<(k * n + n)],
                isKey: isKey)
        }
    }

    /// Adds another part's bags (another fold's), level by level.
    public mutating func merge(_ other: InstanceAttention) {
        for (level, scores) in other.levels { levels[level, default: InstanceAttentionScores()].merge(scores) }
    }

    public func report() -> [AttentionLevel: InstanceAttentionReport] { levels.mapValues { $0.report() } }
}
