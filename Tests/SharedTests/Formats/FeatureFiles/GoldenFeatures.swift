import Foundation
import Shared
import XCTest

/// The values `Fixtures/features/make_fixtures.py` recorded for each golden file.
struct GoldenFeatures: Decodable {
    var n: Int
    var d: Int
    var features: [Double]
    var coords: [Double]?
    var coords_dtype: String?

    static let all: [String: GoldenFeatures] = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: FixturePaths.features("expected.json")))
        return try! JSONDecoder().decode([String: GoldenFeatures].self, from: data)
    }()

    /// Reads `name` through the dispatcher and checks every value exactly.
    static func check(_ name: String, keys: FeatureKeys = FeatureKeys(), file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try XCTUnwrap(all[name], "no golden values for \(name)", file: file, line: line)
        let bag = try FeatureFiles.read(FixturePaths.features(name), slideID: name, keys: keys)
        XCTAssertEqual(bag.slideID, name, file: file, line: line)
        XCTAssertEqual(bag.instanceCount, expected.n, "\(name) N", file: file, line: line)
        XCTAssertEqual(bag.featureDim, expected.d, "\(name) D", file: file, line: line)
        XCTAssertEqual(bag.features, expected.features.map { Float($0) }, "\(name) features", file: file, line: line)
        switch (expected.coords_dtype, bag.coordinates) {
        case (nil, nil): break
        case ("int32", .int32(let c)?): XCTAssertEqual(c, expected.coords!.map { Int32($0) }, "\(name) coords", file: file, line: line)
        case ("float32", .float32(let c)?): XCTAssertEqual(c, expected.coords!.map { Float($0) }, "\(name) coords", file: file, line: line)
        default:
            XCTFail(
                "\(name): coordinates \(String(describing: bag.coordinates)) but expected \(String(describing: expected.coords_dtype))",
                file: file, line: line)
        }
    }
}
