import Shared
import XCTest

/// `parallelItems`: which worker runs which item depends only on the worker count, and the first error by item wins.
final class ParallelItemsTests: XCTestCase {
    func testFixedAssignmentOfItemsToWorkers() throws {
        for workers in 1...4 {
            var seen = [Int](repeating: -1, count: 11)
            try seen.withUnsafeMutableBufferPointer { slots in
                try parallelItems(workers: workers, count: 11) { w, i in slots[i] = w }
            }
            XCTAssertEqual(seen, (0..<11).map { $0 % min(workers, 11) }, "workers \(workers)")
        }
    }

    func testTheFirstErrorByItemIsRethrown() {
        struct Failure: Error, Equatable { var item: Int }
        XCTAssertThrowsError(
            try parallelItems(workers: 3, count: 20) { _, i in
                if i == 7 || i == 5 || i == 16 { throw Failure(item: i) }
            }
        ) { error in
            XCTAssertEqual(error as? Failure, Failure(item: 5))
        }
    }
}
