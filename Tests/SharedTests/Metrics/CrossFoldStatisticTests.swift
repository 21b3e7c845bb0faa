import Shared
import XCTest

final class CrossFoldStatisticTests: XCTestCase {
    func testCrossFoldStatisticsAreMeanSampleStdAndStandardError() {
        let stat = CrossFoldStatistic(values: [(0, 0.5), (1, 0.7), (2, nil), (3, 0.9)])
        XCTAssertEqual(stat.mean!, 0.7, accuracy: 1e-15)
        XCTAssertEqual(stat.std!, 0.2, accuracy: 1e-15)  // sqrt((0.04 + 0 + 0.04) / 2)
        XCTAssertEqual(stat.sem!, 0.2 / 3.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(stat.folds, 3)
        XCTAssertEqual(stat.undefinedFolds, [2])
        let one = CrossFoldStatistic(values: [(0, 0.5)])
        XCTAssertNil(one.std)
        XCTAssertNil(one.sem)
    }
}
