import Dispatch

/// Loads a known sequence of bags one ahead of their use on a background thread, so reading and
/// decompressing bag k+1 overlaps the computation on bag k. For the one-worker mode (large bags,
/// BLAS on every thread), where an inline read would leave every core idle. Memory: one extra bag.
///
///     let ahead = ReadAhead(items: [3, 5, 8]) { try load($0) }
///     for item in [3, 5, 8] { let bag = try ahead.bag(for: item); … }
final class ReadAhead<Item: Equatable & Sendable>: @unchecked Sendable {
    private let items: [Item]
    private let load: @Sendable (Item) throws -> Bag
    private var position = 0
    private var pending: DispatchSemaphore?
    private var result: Result<Bag, Error>?
    private let queue = DispatchQueue(label: "hmil.read-ahead")

    init(items: [Item], load: @escaping @Sendable (Item) throws -> Bag) {
        self.items = items
        self.load = load
        start()
    }

    deinit {
        // Never leave a read running against freed state.
        pending?.wait()
    }

    private func start() {
        guard position < items.count else {
            pending = nil
            return
        }
        let item = items[position]
        let done = DispatchSemaphore(value: 0)
        pending = done
        queue.async { [self] in
            result = Result { try load(item) }
            done.signal()
        }
    }

    /// The bag of `item`, which must be the next item of the sequence; starts loading the one after.
    func bag(for item: Item) throws -> Bag {
        precondition(position < items.count && items[position] == item, "bags must be taken in the announced order")
        pending?.wait()
        let loaded = result!
        result = nil
        position += 1
        start()
        return try loaded.get()
    }
}
