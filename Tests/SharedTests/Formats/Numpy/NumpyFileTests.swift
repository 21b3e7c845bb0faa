import Foundation
import Shared
import XCTest

final class NumpyFileTests: XCTestCase {
    func testCAndFortranOrderAndHalf() throws {
        for name in ["c_order_f32.npy", "fortran_f64.npy", "f16.npy"] {
            try GoldenFeatures.check(name)
        }
    }

    func testWriterRoundTripsAndMatchesNumpysHeader() throws {
        let bag = Bag(slideID: "s", instanceCount: 2, featureDim: 3, features: [1, -2, 3.5, 0, .leastNonzeroMagnitude, 7])
        let bytes = NumpyFile.encode(bag)
        let headerEnd = 10 + Int(bytes[8]) + Int(bytes[9]) << 8
        XCTAssertEqual(headerEnd % 64, 0)
        XCTAssertEqual(bytes.count, headerEnd + 24)
        XCTAssertEqual(
            String(decoding: bytes[10..<headerEnd], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")
        let path = try FixturePaths.temporaryFolder() + "/x.npy"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try NumpyFile.read(path, slideID: "s"), bag)
    }

    func testCommittedNpyHeaderMatchesOurWriter() throws {
        // np.save of a float32 C-order array: same header bytes as NumpyFile.encode for the same shape.
        let numpy = try FixturePaths.bytes("features/c_order_f32.npy")
        let ours = NumpyFile.encode([Float](repeating: 0, count: 20), shape: [4, 5])
        XCTAssertEqual(Array(numpy[0..<128]), Array(ours[0..<128]))
    }

    func testHostileHeaders() throws {
        let folder = try FixturePaths.temporaryFolder()
        func npy(_ header: String, data: Int = 0) throws -> String {
            var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
            bytes += Array(header.utf8) + [UInt8](repeating: 0, count: data)
            let path = folder + "/\(UUID().uuidString).npy"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        XCTAssertThrowsMessage(
            try NumpyFile.read(try npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 100000000000), }"), slideID: "s"),
            "overflows")
        XCTAssertThrowsMessage(
            try NumpyFile.read(try npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1024), }", data: 16), slideID: "s"),
            "the file holds 16")
        XCTAssertThrowsMessage(
            try NumpyFile.read(try npy("{'descr': '<U8', 'fortran_order': False, 'shape': (1, 1), }", data: 32), slideID: "s"),
            "dtype '<U8'")
        XCTAssertThrowsMessage(
            try NumpyFile.read(try npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", data: 4), slideID: "s"),
            "structured")
        XCTAssertThrowsMessage(
            try NumpyFile.read(try npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }"), slideID: "empty"), "no instances",
            "empty")
        XCTAssertThrowsMessage(
            try NumpyFile.read(try npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", data: 16), slideID: "s"),
            "expected 2 dimensions")
        XCTAssertThrowsMessage(
            try NumpyFile.read(try npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", data: 16), slideID: "s"),
            "expected floats")
    }

    func testCSV() throws {
        try GoldenFeatures.check("dsmil.csv")
        let folder = try FixturePaths.temporaryFolder()
        let ragged = folder + "/ragged.csv"
        try Data("1,2,3\n4,5\n".utf8).write(to: URL(fileURLWithPath: ragged))
        XCTAssertThrowsMessage(try FeatureCSV.read(ragged, slideID: "s"), "line 2 has 2 values, expected 3", ragged)
        let inf = folder + "/inf.csv"
        try Data("a,b\n1,inf\n".utf8).write(to: URL(fileURLWithPath: inf))
        XCTAssertThrowsMessage(try FeatureCSV.read(inf, slideID: "s"), "not finite")
        let word = folder + "/word.csv"
        try Data("1,2\n3,x\n".utf8).write(to: URL(fileURLWithPath: word))
        XCTAssertThrowsMessage(try FeatureCSV.read(word, slideID: "s"), "line 2 holds a value that is not a number")
        let headerOnly = folder + "/header.csv"
        try Data("0,1,2\n".utf8).write(to: URL(fileURLWithPath: headerOnly))
        XCTAssertThrowsMessage(try FeatureCSV.read(headerOnly, slideID: "s"), "no instances")
    }
}
