import Foundation

/// Bags of a pack in a given order, read, decompressed and converted to f32 on `threads` background
/// threads, handed out in order. At most `readAhead` bags wait for the consumer and one more is in the
/// works, so memory is bounded by about `readAhead + 1` bags whatever the thread count.
///
///     let stream = try reader.bags(in: epochOrder)
///     while let bag = try stream.next() { … }
///
/// Decompression is zstd's Huffman decoding plus the f16 → f32 conversion, about 1 GB/s of f32 per core
/// here; two threads keep a consumer that is faster than that fed. Threads take positions in order and
/// the consumer waits for the next one, so the order never changes.
///
/// After an error, `next()` throws it once and then returns nil. Dropping the stream stops the threads.
public final class BagStream {
    private let queue: OrderedBagQueue

    init(reader: PackReader, positions: [Int], readAhead: Int, threads: Int) {
        queue = OrderedBagQueue(count: positions.count, outstanding: max(1, readAhead) + 1)
        let queue = self.queue
        for _ in 0..<max(1, min(threads, positions.count)) {
            let thread = Thread {
                while let i = queue.claim() {
                    queue.put(i, Result { try reader.readBag(at: positions[i]) })
                }
            }
            thread.name = "hmil.pack.read-ahead"
            thread.start()
        }
    }

    deinit { queue.cancel() }

    /// The next bag, or nil after the last.
    public func next() throws -> Bag? {
        try queue.pop()?.get()
    }
}

/// Positions handed to worker threads in order and results handed to one consumer in order.
private final class OrderedBagQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var results: [Int: Result<Bag, Error>] = [:]
    /// Positions below `limit` are delivered; it drops to just past the first failure.
    private var limit: Int
    private var nextToClaim = 0
    private var nextToPop = 0
    private let outstanding: Int
    private var cancelled = false

    init(count: Int, outstanding: Int) {
        limit = count
        self.outstanding = outstanding
    }

    /// The next position to read; blocks while `outstanding` bags are claimed and not yet consumed.
    /// Nil when there is nothing more to read or the consumer has gone.
    func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled, nextToClaim < limit, nextToClaim - nextToPop >= outstanding { condition.wait() }
        guard !cancelled, nextToClaim < limit else { return nil }
        nextToClaim += 1
        return nextToClaim - 1
    }

    func put(_ i: Int, _ result: Result<Bag, Error>) {
        condition.lock()
        if !cancelled, i < limit {
            results[i] = result
            // Nothing after a failure is read or delivered.
            if case .failure = result { limit = i + 1 }
        }
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        results = [:]
        condition.broadcast()
        condition.unlock()
    }

    func pop() -> Result<Bag, Error>? {
        condition.lock()
        defer { condition.unlock() }
        while nextToPop < limit, results[nextToPop] == nil { condition.wait() }
        guard nextToPop < limit, let result = results.removeValue(forKey: nextToPop) else { return nil }
        nextToPop += 1
        if case .failure = result { limit = nextToPop }
        condition.broadcast()
        return result
    }
}
