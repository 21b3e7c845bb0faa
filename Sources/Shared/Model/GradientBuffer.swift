/// Named blocks of one flat f32 allocation in a fixed order. A model lays out the matrices its
/// forward reads (its weight snapshot) and, with the same layout, the gradients its backward writes.
public struct BlockLayout: Equatable, Sendable {
    public private(set) var names: [String] = []
    public private(set) var offsets: [Int] = []
    public private(set) var counts: [Int] = []
    public private(set) var totalCount = 0

    public init() {}

    /// Appends a block and returns its index.
    @discardableResult
    public mutating func append(_ name: String, count: Int) -> Int {
        precondition(count >= 0)
        names.append(name)
        offsets.append(totalCount)
        counts.append(count)
        totalCount += count
        return names.count - 1
    }
}

/// A flat f32 buffer with a BlockLayout.
public final class FloatBlocks {
    public let layout: BlockLayout
    public let storage: UnsafeMutablePointer<Float>

    public init(layout: BlockLayout) {
        self.layout = layout
        storage = .allocate(capacity: max(layout.totalCount, 1))
        storage.initialize(repeating: 0, count: max(layout.totalCount, 1))
    }

    deinit { storage.deallocate() }

    @inline(__always)
    public func block(_ index: Int) -> UnsafeMutablePointer<Float> { storage + layout.offsets[index] }

    @inline(__always)
    public func matrix(_ index: Int, rows: Int, cols: Int) -> MatrixView {
        precondition(rows * cols == layout.counts[index], "block \(layout.names[index]) is not \(rows)×\(cols)")
        return MatrixView(block(index), rows: rows, cols: cols)
    }

    public func zero() { storage.update(repeating: 0, count: layout.totalCount) }

    /// self += other, element by element (same layout).
    public func add(_ other: FloatBlocks) {
        precondition(layout == other.layout, "adding buffers of different layouts")
        axpy(1, other.storage, into: storage, count: layout.totalCount)
    }

    /// Copy of one block's values.
    public func values(_ index: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: block(index), count: layout.counts[index]))
    }

    /// The workers' buffers summed in array order (deterministic for a fixed assignment of bags to
    /// buffers): the one buffer itself when alone, else `reduction`, made on first use and reused so a
    /// step allocates nothing; nil without buffers.
    static func sum(_ buffers: [FloatBlocks], layout: BlockLayout, reusing reduction: inout FloatBlocks?) -> FloatBlocks? {
        guard let first = buffers.first else { return nil }
        guard buffers.count > 1 else { return first }
        let sum = reduction ?? FloatBlocks(layout: layout)
        reduction = sum
        sum.zero()
        for buffer in buffers { sum.add(buffer) }
        return sum
    }
}

/// One worker's gradient accumulator: gradients with respect to the blocks of the model's weight
/// snapshot (for HMIL, including the composed 256-wide maps), summed over the bags that worker ran.
/// `MILModel.addGradients(_:)` sums several workers' buffers in array order (deterministic for a
/// fixed assignment of bags to buffers), maps them onto the parameters and adds to Parameter.gradient.
public typealias GradientBuffer = FloatBlocks
