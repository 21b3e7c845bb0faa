import Foundation

/// Bags of a pack in a given order, read, decompressed and converted to f32 on a background thread that
/// stays at most `readAhead` bags ahead of the consumer (so memory is bounded by that many bags).
///
///     let stream = try reader.bags(in: epochOrder)
///     while let bag = try stream.next() { … }
///
/// After an error, `next()` throws it once and then returns nil. Dropping the stream stops the thread.
public final class BagStream {
    private let queue: ReadAheadQueue

    init(reader: PackReader, positions: [Int], readAhead: Int) {
        queue = ReadAheadQueue(depth: max(1, readAhead))
        let queue = self.queue
        let thread = Thread {
            for position in positions {
                guard queue.waitForRoom() else { break }
                let result = Result { try reader.readBag(at: position) }
                queue.push(result)
                if case .failure = result { break }
            }
            queue.finish()
        }
        thread.name = "hmil.pack.read-ahead"
        thread.start()
    }

    deinit { queue.cancel() }

    /// The next bag, or nil after the last.
    public func next() throws -> Bag? {
        try queue.pop()?.get()
    }
}

/// A bounded queue between one producer thread and one consumer.
private final class ReadAheadQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Result<Bag, Error>] = []
    private var head = 0
    private let depth: Int
    private var finished = false
    private var cancelled = false

    init(depth: Int) { self.depth = depth }

    /// Blocks until there is room; false when the consumer has gone.
    func waitForRoom() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count - head >= depth && !cancelled { condition.wait() }
        return !cancelled
    }

    func push(_ item: Result<Bag, Error>) {
        condition.lock()
        if head > 64 { items.removeFirst(head); head = 0 }
        items.append(item)
        condition.broadcast()
        condition.unlock()
    }

    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        items = []
        head = 0
        condition.broadcast()
        condition.unlock()
    }

    func pop() -> Result<Bag, Error>? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !finished { condition.wait() }
        guard items.count > head else { return nil }
        let item = items[head]
        items[head] = .success(Bag(slideID: "", instanceCount: 0, featureDim: 0, features: []))
        head += 1
        condition.broadcast()
        return item
    }
}
