/// Workspaces that keep bags' activations from the forward of a batch to its backward, when a
/// batch-level term (SupCon) needs every bag's z before any bag's gradient: a bag kept here is
/// computed once, a bag that is not is recomputed in a second pass. The pool lives as long as the
/// trainer, so its pages are touched once per run, not once per batch (fresh workspaces cost the
/// kernel's page faults and zeroing again on every batch, which ate the gain).
///
/// Bound: the pool's workspaces (each as large as the largest bag it has held, forward and backward
/// buffers) stay within `budget` bytes. A kept bag's features are not held: the trainer reads the
/// bag again for its backward (`Workspace.setFeaturesAside`), which costs a read, overlapped with
/// compute, where holding them would cost 4·D bytes per instance, at D 1024 two thirds as much again
/// as HMIL's activations.
/// Kept bags are chosen largest first, the k-th largest kept bag going to the k-th workspace, so each
/// workspace settles at the size of "the k-th largest bag of a batch" and stops growing.
final class ActivationPool {
    /// Bytes the pool may hold (0: nothing is kept; every batch-term epoch takes two passes).
    let budget: Int
    private var spaces: [Workspace] = []
    /// The largest bag each workspace has held: its buffers are sized for it.
    private var heldInstances: [Int] = []
    /// Bytes of activations per instance before any workspace has held a bag: above HMIL's 6 kB
    /// (HMILPasses' workspace table) and ABMIL's, so a first batch keeps fewer bags rather than
    /// overrunning the budget.
    static let bytesPerInstanceBound = 4 * 4 * 768

    init(budget: Int) {
        self.budget = max(0, budget)
    }

    var workspaceCount: Int { spaces.count }

    /// Bytes held now by the pool's workspaces.
    var bytesHeld: Int { spaces.reduce(0) { $0 + $1.bytesAllocated } }

    /// The workspace that keeps each bag of a batch of these sizes (instances), or nil for a bag the
    /// budget has no room for (recomputed in pass two).
    func plan(sizes: [Int]) -> [Workspace?] {
        var kept = [Workspace?](repeating: nil, count: sizes.count)
        guard budget > 0 else { return kept }
        var held = bytesHeld
        var k = 0
        for i in sizes.indices.sorted(by: { (sizes[$0], $1) > (sizes[$1], $0) }) {
            let n = sizes[i]
            let current = k < spaces.count ? spaces[k].bytesAllocated : 0
            let needed = max(0, estimate(workspace: k, instances: n) - current)
            guard held + needed <= budget else { continue }
            if k == spaces.count {
                spaces.append(Workspace())
                heldInstances.append(0)
            }
            kept[i] = spaces[k]
            held += needed
            k += 1
        }
        return kept
    }

    /// Bytes workspace `k` holds after a bag of `n` instances. Buffers grow in proportion to N but
    /// for a few of fixed size, so scaling a measured workspace by N overestimates for a larger bag;
    /// a new one takes the largest bytes per instance any workspace has shown (that of the one that
    /// held the smallest bag, whose fixed buffers weigh most).
    private func estimate(workspace k: Int, instances n: Int) -> Int {
        if k < spaces.count, heldInstances[k] > 0 {
            let bytes = spaces[k].bytesAllocated
            return n <= heldInstances[k] ? bytes : (bytes * n + heldInstances[k] - 1) / heldInstances[k]
        }
        let perInstance =
            zip(spaces, heldInstances).filter { $0.1 > 0 }
            .map { ($0.0.bytesAllocated + $0.1 - 1) / $0.1 }.max() ?? Self.bytesPerInstanceBound
        return n * perInstance
    }

    /// After the batch's backward: each workspace holds at least the bag it just held.
    func observe(sizes: [Int], kept: [Workspace?]) {
        for (i, space) in kept.enumerated() {
            guard let space, let k = spaces.firstIndex(where: { $0 === space }) else { continue }
            heldInstances[k] = max(heldInstances[k], sizes[i])
        }
    }
}
