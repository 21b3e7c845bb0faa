import Foundation
import Shared
import XCTest

/// Draws against numpy's legacy RandomState; golden values from scripts/golden/numpy_random_state.py.
final class NumpyRandomStateTests: XCTestCase {
    struct Golden: Decodable {
        struct Draw: Decodable {
            var population: Int
            var size: Int
            var values: [Int]
        }
        struct Case: Decodable {
            var seed: UInt32
            var kind: String
            var values: [UInt64]?
            var max: UInt64?
            var draws: [Draw]?
        }
        var cases: [Case]
    }

    func golden() throws -> Golden {
        let data = try Data(contentsOf: URL(fileURLWithPath: SplitFixtures.path("numpy_random_state.json")))
        return try JSONDecoder().decode(Golden.self, from: data)
    }

    func testRawOutputsMatchNumpyAcrossRegenerations() throws {
        let cases = try golden().cases.filter { $0.kind == "uint32" }
        XCTAssertEqual(cases.count, 4)
        for c in cases {
            var random = NumpyRandomState(seed: c.seed)
            let values = (0..<c.values!.count).map { _ in UInt64(random.nextUInt32()) }
            XCTAssertEqual(values, c.values!, "seed \(c.seed)")  // 1300 draws cross two regenerations of the 624-word state
        }
    }

    func testSixtyFourBitIntervalMatchesNumpy() throws {
        let c = try XCTUnwrap(golden().cases.first { $0.kind == "interval64" })
        var random = NumpyRandomState(seed: c.seed)
        XCTAssertEqual(c.values!.map { _ in random.interval(c.max!) }, c.values!)
    }

    func testChoiceWithoutReplacementMatchesNumpyDrawForDraw() throws {
        let c = try XCTUnwrap(golden().cases.first { $0.kind == "choice" })
        var random = NumpyRandomState(seed: c.seed)
        for draw in c.draws! {
            let population = Array(100..<100 + draw.population)
            XCTAssertEqual(
                random.choiceWithoutReplacement(population, size: draw.size), draw.values,
                "choice(\(draw.population), \(draw.size))")
        }
    }

    func testPermutationMatchesNumpy() throws {
        let c = try XCTUnwrap(golden().cases.first { $0.kind == "permutation" })
        var random = NumpyRandomState(seed: c.seed)
        XCTAssertEqual(random.permutation(100).map(UInt64.init), c.values!)
    }
}
