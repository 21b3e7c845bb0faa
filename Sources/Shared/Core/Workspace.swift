/// Scratch memory for one thread's forward and backward passes, reused from bag to bag: a model
/// asks for numbered buffers by size, and a buffer only grows (to the largest bag seen), so the
/// steady state allocates nothing. Between a training forward and its backward the workspace also
/// holds what the backward needs (activations, the bag's features).
///
/// Not thread-safe: give each worker thread its own workspace.
public final class Workspace {
    private var buffers: [UnsafeMutablePointer<Float>?] = []
    private var capacities: [Int] = []

    /// The bag of the last training forward (kept alive by reference, not copied) and its size.
    public internal(set) var features: [Float] = []
    public internal(set) var instanceCount = 0
    /// Which model ran the last training forward; backward checks it.
    var pendingBackward: ObjectIdentifier?

    /// Dropout draws for training forwards of models built with dropout on; the trainer seeds it
    /// (e.g. per epoch and bag) so runs are reproducible.
    public var dropoutGenerator: SeededGenerator?

    public init() {}

    deinit {
        for case let buffer? in buffers { buffer.deallocate() }
        onesBuffer?.deallocate()
    }

    /// Buffer number `slot` with room for at least `count` floats. Contents are unspecified after
    /// growth; a buffer keeps its contents while it does not grow.
    public func floats(_ slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
        if slot >= buffers.count {
            buffers += Array(repeating: nil, count: slot + 1 - buffers.count)
            capacities += Array(repeating: 0, count: slot + 1 - capacities.count)
        }
        if let buffer = buffers[slot], capacities[slot] >= count { return buffer }
        buffers[slot]?.deallocate()
        let capacity = max(count, 1)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        buffers[slot] = buffer
        capacities[slot] = capacity
        return buffer
    }

    /// `floats(slot, rows·cols)` as a matrix.
    public func matrix(_ slot: Int, rows: Int, cols: Int) -> MatrixView {
        MatrixView(floats(slot, count: rows * cols), rows: rows, cols: cols)
    }

    private var onesBuffer: UnsafeMutablePointer<Float>?
    private var onesCount = 0

    /// A vector of at least `count` ones (bias gradients are column sums: Xᵀ·1). Kept apart from
    /// the numbered slots so no model can overwrite it.
    public func ones(count: Int) -> UnsafeMutablePointer<Float> {
        if let buffer = onesBuffer, onesCount >= count { return buffer }
        onesBuffer?.deallocate()
        onesCount = max(count, 1)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: onesCount)
        buffer.initialize(repeating: 1, count: onesCount)
        onesBuffer = buffer
        return buffer
    }

    /// Drops the reference to the last bag's features (backward calls it when done).
    func releaseFeatures() { features = [] }

    /// Lets go of the features between a training forward and its backward, keeping the activations:
    /// a caller that can read the bag again (from its pack) need not hold N×D floats meanwhile.
    /// `restoreFeatures` must hand the same values back before `backward`.
    public func setFeaturesAside() {
        asideCount = features.count
        features = []
    }

    private var asideCount = 0

    /// Gives back the features set aside after this workspace's training forward: the same bag, read
    /// again (the backward's weight gradients are products with them).
    public func restoreFeatures(_ bagFeatures: [Float]) {
        precondition(pendingBackward != nil && features.isEmpty, "restoreFeatures without features set aside")
        precondition(bagFeatures.count == asideCount, "restored features of another bag")
        features = bagFeatures
    }

    /// Bytes currently held, for the memory report.
    public var bytesAllocated: Int { (capacities.reduce(0, +) + onesCount) * MemoryLayout<Float>.stride }
}
