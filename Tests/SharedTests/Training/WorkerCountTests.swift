import Shared
import XCTest

/// How many bags train at once: every thread for small bags; for large bags as many as a batch has
/// (batch 1: one bag on every BLAS thread). Never the memory budget, so the weights do not depend on it.
final class WorkerCountTests: XCTestCase {
    let large = Trainer.largeBagInstances

    func testSmallBagsTrainOnEveryThreadWhateverTheBatch() {
        XCTAssertEqual(Trainer.workerCount(threads: 2, meanInstances: 40, batchSize: 1), 2)
        XCTAssertEqual(Trainer.workerCount(threads: 4, meanInstances: large - 1, batchSize: 2), 4)
    }

    func testLargeBagsTrainAsManyAtOnceAsABatchHas() {
        XCTAssertEqual(Trainer.workerCount(threads: 2, meanInstances: large, batchSize: 1), 1)
        XCTAssertEqual(Trainer.workerCount(threads: 2, meanInstances: 11_000, batchSize: 64), 2)
        XCTAssertEqual(Trainer.workerCount(threads: 4, meanInstances: 11_000, batchSize: 2), 2)
        XCTAssertEqual(Trainer.workerCount(threads: 1, meanInstances: 100_000, batchSize: 8), 1)
    }

    /// A worker beyond the first is charged its bag's features and activations against the budget.
    func testBytesInFlightAreFeaturesAndActivations() {
        XCTAssertEqual(Trainer.bytesInFlight(instances: 20_000, featureDim: 1024), 20_000 * (12_288 + 4096))
    }
}
