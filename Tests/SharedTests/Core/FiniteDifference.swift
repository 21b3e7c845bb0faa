import Shared
import XCTest

/// Central differences of a scalar function of a Float vector, the function summed in Double.
/// `step(i)` is the perturbation for element i.
func numericGradient(at x: [Float], step: (Int) -> Float = { _ in 1e-3 }, _ f: ([Float]) -> Double) -> [Double] {
    var probe = x
    return x.indices.map { i in
        let h = step(i)
        probe[i] = x[i] + h
        let up = f(probe)
        probe[i] = x[i] - h
        let down = f(probe)
        probe[i] = x[i]
        return (up - down) / Double(2 * h)
    }
}

/// |analytic − numeric| ≤ atol + rtol·|numeric| elementwise.
func assertGradientsAgree(
    _ analytic: [Float], _ numeric: [Double], rtol: Double = 1e-2, atol: Double = 1e-3,
    _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(analytic.count, numeric.count, what, file: file, line: line)
    for i in analytic.indices where !(abs(Double(analytic[i]) - numeric[i]) <= atol + rtol * abs(numeric[i])) {
        XCTFail("\(what)[\(i)]: analytic \(analytic[i]), finite difference \(numeric[i])", file: file, line: line)
        return
    }
}

func weightedSum(_ values: [Float], _ weights: [Float]) -> Double {
    zip(values, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

/// Runs `body` with a MatrixView over a copy of `values`, returning the copy after `body`.
func withMatrix(_ values: [Float], rows: Int, cols: Int, _ body: (MatrixView) -> Void) -> [Float] {
    var copy = values
    copy.withUnsafeMutableBufferPointer { body(MatrixView($0.baseAddress!, rows: rows, cols: cols)) }
    return copy
}
