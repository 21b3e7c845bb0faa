import Foundation
import Shared
import XCTest

final class PackWriterErrorTests: XCTestCase {
    private var folder = ""
    override func setUp() { folder = PackTestSupport.temporaryFolder() }

    func testDuplicateSlideIDIsRefusedAndThePackStaysUsable() throws {
        let path = folder + "/dup.hbag"
        let writer = try PackWriter(path: path, featureDim: 4)
        try writer.append(PackTestSupport.bag("a", instances: 2, dim: 4))
        let encoded = try writer.encode(PackTestSupport.bag("a", instances: 3, dim: 4))
        XCTAssertThrowsError(try writer.append(encoded)) { error in
            XCTAssertEqual(error as? PackError, .duplicateSlide(file: path, slideID: "a"))
            XCTAssertEqual("\(error)", "slide appears twice (\(path), slide a) — each slide is packed once")
        }
        XCTAssertThrowsError(try writer.append(PackTestSupport.bag("a", instances: 1, dim: 4)))
        try writer.append(PackTestSupport.bag("b", instances: 1, dim: 4))
        try writer.finish()
        XCTAssertEqual(try PackReader(path: path).slideIDs, ["a", "b"])
    }

    func testFeatureDimMismatch() throws {
        let path = folder + "/dim.hbag"
        let writer = try PackWriter(path: path, featureDim: 4)
        XCTAssertThrowsError(try writer.encode(PackTestSupport.bag("x", instances: 2, dim: 5))) { error in
            XCTAssertEqual(error as? PackError, .featureDimMismatch(file: path, slideID: "x", pack: 4, bag: 5))
        }
    }

    func testCoordinatesKindMismatch() throws {
        let path = folder + "/coords.hbag"
        let writer = try PackWriter(path: path, featureDim: 4, options: .init(coordinates: .int32))
        XCTAssertThrowsError(try writer.append(PackTestSupport.bag("x", instances: 2, dim: 4))) { error in
            XCTAssertEqual(error as? PackError, .coordinatesMismatch(file: path, slideID: "x", pack: .int32, bag: .none))
        }
        XCTAssertThrowsError(try writer.append(PackTestSupport.bag("y", instances: 2, dim: 4, coordinates: .float32))) { error in
            XCTAssertEqual(error as? PackError, .coordinatesMismatch(file: path, slideID: "y", pack: .int32, bag: .float32))
        }
    }

    func testCoordinateCountMustMatchInstances() throws {
        let writer = try PackWriter(path: folder + "/n.hbag", featureDim: 2, options: .init(coordinates: .int32))
        let bag = Bag(slideID: "x", instanceCount: 2, featureDim: 2, features: [1, 2, 3, 4], coordinates: .int32([1, 2]))
        XCTAssertThrowsError(try writer.encode(bag)) { error in
            guard case .invalidBag(_, "x", _)? = error as? PackError else { return XCTFail("\(error)") }
        }
    }

    func testSlideIDMustBeNonEmptyAndShort() throws {
        let writer = try PackWriter(path: folder + "/id.hbag", featureDim: 1)
        for id in ["", String(repeating: "x", count: 1025)] {
            XCTAssertThrowsError(try writer.encode(Bag(slideID: id, instanceCount: 1, featureDim: 1, features: [1])))
        }
        XCTAssertNoThrow(
            try writer.encode(Bag(slideID: String(repeating: "x", count: 1024), instanceCount: 1, featureDim: 1, features: [1])))
    }

    func testBadOptionsAreRefused() {
        XCTAssertThrowsError(try PackWriter(path: folder + "/a.hbag", featureDim: 0))
        XCTAssertThrowsError(try PackWriter(path: folder + "/b.hbag", featureDim: 4, options: .init(compressionLevel: 99)))
    }

    func testUnfinishedWriterLeavesNoFile() throws {
        let path = folder + "/unfinished.hbag"
        do {
            let writer = try PackWriter(path: path, featureDim: 4)
            try writer.append(PackTestSupport.bag("a", instances: 2, dim: 4))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
    }
}
