/// The order in which one epoch visits the training bags, cut into batches, and the instance subsets
/// drawn when `maxInstances` caps bag size. Everything is derived from (seed, fold, epoch), so a run
/// resumed at epoch e draws exactly what the uninterrupted run drew.
public struct EpochPlan: Sendable {
    /// Positions into the fold's training list, batch by batch (the last batch may be smaller).
    public let batches: [[Int]]

    /// - Parameters:
    ///   - labels: fine class of each training bag, in training-list order.
    public init(labels: [Int], options: TrainingOptions, fold: Int, epoch: Int) {
        let count = labels.count
        var generator = SeededGenerator(seed: options.seed, stream: EpochPlan.stream(fold: fold, epoch: epoch, purpose: 0))
        var order: [Int]
        if options.balancedSampling {
            // As a weighted sampler with weight 1/|class|: every class equally likely, drawn with replacement.
            let classes = Array(Set(labels)).sorted()
            let members = classes.map { c in labels.indices.filter { labels[$0] == c } }
            order = (0..<count).map { _ in
                let group = members[Int(generator.next() % UInt64(members.count))]
                return group[Int(generator.next() % UInt64(group.count))]
            }
        } else {
            order = Array(0..<count)
            if options.shuffle { order.shuffle(using: &generator) }
        }
        let size = max(1, options.batchSize)
        batches = stride(from: 0, to: order.count, by: size).map { Array(order[$0..<min($0 + size, order.count)]) }
    }

    /// Sorted instance indices to train on for one bag, or nil to use all of them.
    public static func instanceSubset(
        instanceCount: Int, options: TrainingOptions, fold: Int, epoch: Int,
        bag: Int
    ) -> [Int]? {
        let cap = options.maxInstances
        guard cap > 0, instanceCount > cap else { return nil }
        var generator = SeededGenerator(
            seed: options.seed,
            stream: stream(fold: fold, epoch: epoch, purpose: 1) &+ UInt64(bag) << 20)
        // Partial Fisher–Yates: the first `cap` positions of a random permutation.
        var indices = Array(0..<instanceCount)
        for i in 0..<cap {
            let j = i + Int(generator.next() % UInt64(instanceCount - i))
            indices.swapAt(i, j)
        }
        return indices[0..<cap].sorted()
    }

    /// A stream id per (fold, epoch, purpose), disjoint across purposes.
    public static func stream(fold: Int, epoch: Int, purpose: Int) -> UInt64 {
        (UInt64(fold) << 48) | (UInt64(epoch) << 8) | UInt64(purpose)
    }
}
