import XCTest

/// Asserts |a − b| ≤ atol + rtol·|b| elementwise, reporting the worst element.
func assertClose(
    _ a: [Float], _ b: [Float], rtol: Float = 1e-4, atol: Float = 1e-6, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, "\(what): count", file: file, line: line)
    guard a.count == b.count else { return }
    var worst = -1
    var worstExcess: Float = 0
    for i in a.indices {
        let excess = abs(a[i] - b[i]) - (atol + rtol * abs(b[i]))
        if !(excess <= 0), worst < 0 || excess > worstExcess || excess.isNaN {
            worst = i
            worstExcess = excess
        }
    }
    if worst >= 0 {
        XCTFail("\(what): element \(worst) is \(a[worst]), expected \(b[worst]) (rtol \(rtol), atol \(atol))", file: file, line: line)
    }
}

/// Gradients compared relative to the tensor's own scale: |a − b| ≤ tol·max|b| + floor.
func assertGradientClose(
    _ a: [Float], _ b: [Float], tolerance: Float = 2e-4, floor: Float = 1e-6, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    let scale = b.map(abs).max() ?? 0
    assertClose(a, b, rtol: 0, atol: tolerance * scale + floor, what, file: file, line: line)
}

/// Asserts that `body` throws a one-line error whose text contains every fragment.
func XCTAssertThrowsMessage<T>(
    _ body: @autoclosure () throws -> T, _ fragments: String..., file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        let text = "\(error)"
        XCTAssertFalse(text.contains("\n"), "multi-line error: \(text)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(text.contains(fragment), "'\(text)' lacks '\(fragment)'", file: file, line: line)
        }
    }
}
