import Foundation
import Shared
import XCTest

/// Loads the objective fixtures written by Tests/Parity/*.py.
enum ObjectiveFixtures {
    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        let url = FixturePaths.url("objective/\(name).json")
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }
}

/// Central finite differences on Float inputs with a Double-valued function. The step is taken as
/// the actually representable difference of the two perturbed Floats, so rounding of the input
/// does not enter the estimate.
enum ObjectiveFiniteDifference {
    static func derivative(of f: ([Float]) -> Double, at x: [Float], index: Int, step: Float) -> Double {
        var plus = x
        var minus = x
        plus[index] += step
        minus[index] -= step
        let delta = Double(plus[index]) - Double(minus[index])
        return (f(plus) - f(minus)) / delta
    }

    /// Asserts |analytic − numeric| ≤ absolute + relative·|numeric| at every index in `indices`.
    static func check(
        _ f: ([Float]) -> Double, at x: [Float], gradient: [Double], indices: [Int]? = nil,
        step: Float = 1e-3, relative: Double = 1e-4, absolute: Double = 1e-6,
        _ what: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(gradient.count, x.count, "\(what): gradient size", file: file, line: line)
        for i in indices ?? Array(x.indices) {
            let numeric = derivative(of: f, at: x, index: i, step: step)
            let err = abs(gradient[i] - numeric)
            XCTAssertLessThanOrEqual(
                err, absolute + relative * abs(numeric),
                "\(what)[\(i)]: analytic \(gradient[i]) vs numeric \(numeric)", file: file, line: line)
        }
    }
}

/// Random test data from the project's seeded generator.
struct ObjectiveRandom {
    var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func normals(_ count: Int, scale: Double = 1) -> [Float] {
        (0..<count).map { _ in Float(generator.nextNormal() * scale) }
    }

    /// Rows of `count / width` values each, every row a softmax-like positive vector summing to 1.
    mutating func simplexRows(rows: Int, width: Int) -> [Float] {
        var out: [Float] = []
        for _ in 0..<rows {
            let raw = (0..<width).map { _ in generator.nextUniform() + 0.05 }
            let sum = raw.reduce(0, +)
            out += raw.map { Float($0 / sum) }
        }
        return out
    }

    /// Rows L2-normalised.
    mutating func unitRows(rows: Int, width: Int) -> [Float] {
        var out: [Float] = []
        for _ in 0..<rows {
            let raw = (0..<width).map { _ in generator.nextNormal() }
            let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
            out += raw.map { Float($0 / norm) }
        }
        return out
    }

    mutating func bagOutput(instances n: Int, coarse kc: Int, fine kf: Int, width: Int) -> BagOutput {
        BagOutput(
            instanceCount: n, coarseLogits: normals(kc, scale: 2), fineLogits: normals(kf, scale: 2),
            coarseAttention: simplexRows(rows: kc, width: n), fineAttention: simplexRows(rows: kf, width: n),
            embedding: unitRows(rows: kf, width: width), embeddingWidth: width)
    }
}

/// BRACS: 7 fine classes under 3 coarse ones.
let objectiveBRACSParents = [0, 0, 0, 1, 1, 2, 2]
