import Dispatch
import Foundation

/// Runs `body(worker, item)` for items 0..<count on `workers` threads with a fixed assignment
/// (item i on worker i mod workers, each worker in increasing order), so which worker touched
/// which item, and therefore every floating-point sum downstream, depends only on the worker count.
/// The first error thrown (by item order) is rethrown after all workers stop.
public func parallelItems(workers: Int, count: Int, _ body: (_ worker: Int, _ item: Int) throws -> Void) throws {
    let w = max(1, min(workers, count))
    if w == 1 {
        for i in 0..<count { try body(0, i) }
        return
    }
    let errors = ErrorSlots(count: w)
    DispatchQueue.concurrentPerform(iterations: w) { worker in
        var i = worker
        while i < count {
            do { try body(worker, i) } catch {
                errors.set(worker, item: i, error)
                return
            }
            i += w
        }
    }
    if let error = errors.first { throw error }
}

/// `parallelItems` that collects each item's result, in item order: the one place the workers'
/// disjoint writes into a shared array are made.
public func parallelMap<T>(workers: Int, count: Int, _ body: (_ worker: Int, _ item: Int) throws -> T) throws -> [T] {
    var results = [T?](repeating: nil, count: count)
    try results.withUnsafeMutableBufferPointer { slots in
        let slots = UnsafeSendable(slots)
        try parallelItems(workers: workers, count: count) { worker, i in slots.value[i] = try body(worker, i) }
    }
    return results.map { $0! }
}

/// One error slot per worker (each written by its own worker only).
private final class ErrorSlots: @unchecked Sendable {
    private var slots: [(item: Int, error: Error)?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ worker: Int, item: Int, _ error: Error) { slots[worker] = (item, error) }
    var first: Error? { slots.compactMap { $0 }.min { $0.item < $1.item }?.error }
}

/// Wraps a value for use across the worker threads of `parallelItems`, which write disjoint slots.
struct UnsafeSendable<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
