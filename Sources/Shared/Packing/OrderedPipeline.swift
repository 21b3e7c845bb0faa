import Foundation

/// Runs `work(i)` for i in 0..<count on `jobs` threads and hands the results to the caller's thread
/// in index order. Workers never run more than `window` items ahead of the consumer, which bounds
/// memory; the first error (in index order) stops the workers and is rethrown.
final class OrderedPipeline<Item>: @unchecked Sendable {
    private let count: Int
    private let jobs: Int
    private let window: Int
    private let work: (Int) throws -> Item
    private let condition = NSCondition()
    private var results: [Int: Result<Item, Error>] = [:]
    private var nextToStart = 0
    private var nextToConsume = 0
    private var stopped = false
    private var running = 0

    init(count: Int, jobs: Int, window: Int, work: @escaping (Int) throws -> Item) {
        self.count = count
        self.jobs = jobs
        self.window = max(window, jobs)
        self.work = work
    }

    func run(_ consume: (Int, Item) throws -> Void) throws {
        running = jobs
        for _ in 0..<jobs {
            let thread = Thread { [self] in worker() }
            thread.stackSize = 1 << 22
            thread.start()
        }
        defer {
            // Stop the workers and wait until none touches `work` any more.
            condition.lock()
            stopped = true
            condition.broadcast()
            while running > 0 { condition.wait() }
            condition.unlock()
        }
        while nextToConsume < count {
            condition.lock()
            while results[nextToConsume] == nil { condition.wait() }
            let result = results.removeValue(forKey: nextToConsume)!
            condition.unlock()
            try consume(nextToConsume, try result.get())
            condition.lock()
            nextToConsume += 1
            condition.broadcast()
            condition.unlock()
        }
    }

    private func worker() {
        condition.lock()
        while true {
            while !stopped, nextToStart < count, nextToStart - nextToConsume >= window { condition.wait() }
            if stopped || nextToStart >= count { break }
            let i = nextToStart
            nextToStart += 1
            condition.unlock()
            let result = Result { try work(i) }
            condition.lock()
            results[i] = result
            condition.broadcast()
        }
        running -= 1
        condition.broadcast()
        condition.unlock()
    }
}
