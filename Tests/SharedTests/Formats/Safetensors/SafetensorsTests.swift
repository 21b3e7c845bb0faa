import Foundation
import Shared
import XCTest

/// The safetensors reader's guards, one test per error case, each from literal bytes; the writer's
/// round trip; and a file written by Python's safetensors (the model parity fixtures).
final class SafetensorsTests: XCTestCase {
    /// 8-byte little-endian header length, the header text, then `data`.
    private func file(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> Data {
        var out = Data()
        let h = Data(header.utf8)
        withUnsafeBytes(of: (length ?? UInt64(h.count)).littleEndian) { out.append(contentsOf: $0) }
        out.append(h)
        out.append(contentsOf: data)
        return out
    }

    private func expect(_ bytes: Data, _ expected: SafetensorsError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafetensorsFile(bytes: bytes), file: file, line: line) { error in
            XCTAssertEqual(error as? SafetensorsError, expected, file: file, line: line)
        }
    }

    private let oneFloat = #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#

    func testValidFileParses() throws {
        let f = try SafetensorsFile(bytes: file(oneFloat, data: [0, 0, 0x80, 0x3F]))
        XCTAssertEqual(try f.floats("x"), [1])
        XCTAssertEqual(f.info("x")?.shape, [1])
        XCTAssertEqual(f.metadata, [:])
    }

    func testTooShort() { expect(Data([1, 0, 0]), .tooShort(size: 3)) }
    func testHeaderTooLarge() {
        expect(file("{}", length: 200_000_000), .headerTooLarge(length: 200_000_000, limit: SafetensorsFile.headerLimit))
    }
    func testHeaderBeyondFile() { expect(file("{}", length: 50), .headerBeyondFile(length: 50, fileSize: 10)) }
    func testHeaderNotUTF8() {
        var bytes = file("{}")
        bytes[8] = 0xFF
        expect(bytes, .headerNotUTF8)
    }
    func testHeaderNotJSON() {
        XCTAssertThrowsError(try SafetensorsFile(bytes: file("{\"x\": "))) { error in
            guard case .headerNotJSON = error as? SafetensorsError else { return XCTFail("\(error)") }
        }
    }
    func testHeaderNotObject() { expect(file("[1, 2]"), .headerNotObject) }
    func testMetadataNotStringMap() { expect(file(#"{"__metadata__":{"epoch":3}}"#), .metadataNotStringMap) }
    func testEntryNotObject() { expect(file(#"{"x":5}"#), .invalidTensorEntry(name: "x", reason: "entry is not an object")) }
    func testMissingDType() {
        expect(
            file(#"{"x":{"shape":[1],"data_offsets":[0,4]}}"#), .invalidTensorEntry(name: "x", reason: "missing or non-string \"dtype\""))
    }
    func testUnknownDType() {
        expect(file(#"{"x":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), .unknownDType(name: "x", dtype: "F31"))
    }
    func testMissingShape() {
        expect(
            file(#"{"x":{"dtype":"F32","data_offsets":[0,4]}}"#), .invalidTensorEntry(name: "x", reason: "missing or non-list \"shape\""))
    }
    func testBadOffsetsList() {
        expect(
            file(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#),
            .invalidTensorEntry(name: "x", reason: "\"data_offsets\" must be [begin, end]"))
        expect(
            file(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#),
            .invalidTensorEntry(name: "x", reason: "\"data_offsets\" must be non-negative integers"))
        expect(
            file(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4.5]}}"#),
            .invalidTensorEntry(name: "x", reason: "\"data_offsets\" must be non-negative integers"))
    }
    func testNegativeShape() { expect(file(#"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#), .invalidShape(name: "x")) }
    func testBooleanShape() { expect(file(#"{"x":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#), .invalidShape(name: "x")) }
    func testOverflowingShape() {
        expect(file(#"{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#), .invalidShape(name: "x"))
    }
    func testOffsetsReversed() {
        expect(file(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#), .invalidOffsets(name: "x", begin: 8, end: 4))
    }
    func testSizeMismatch() {
        expect(
            file(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
            .sizeMismatch(name: "x", expectedBytes: 8, actualBytes: 4))
    }
    func testGapBetweenTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        expect(file(header, data: [UInt8](repeating: 0, count: 12)), .offsetsNotContiguous(name: "b", begin: 8, expected: 4))
    }
    func testOverlappingTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        expect(file(header, data: [UInt8](repeating: 0, count: 8)), .offsetsNotContiguous(name: "b", begin: 4, expected: 8))
    }
    func testDataNotFilled() {
        expect(file(oneFloat, data: [0, 0, 0, 0, 9]), .dataNotFilled(tensorBytes: 4, dataBytes: 5))
        expect(file(oneFloat, data: [0, 0]), .dataNotFilled(tensorBytes: 4, dataBytes: 2))
    }
    func testMissingTensorAndUnconvertibleDType() throws {
        let f = try SafetensorsFile(bytes: file(#"{"i":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#, data: [1, 0, 0, 0]))
        XCTAssertThrowsError(try f.floats("j")) { XCTAssertEqual($0 as? SafetensorsError, .missingTensor("j")) }
        XCTAssertThrowsError(try f.floats("i")) { XCTAssertEqual($0 as? SafetensorsError, .unsupportedConversion(name: "i", dtype: "I32")) }
    }

    func testConvertsHalfPrecisionAndDouble() throws {
        let header =
            #"{"b":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]},"d":{"dtype":"F64","shape":[1],"data_offsets":[4,12]},"h":{"dtype":"F16","shape":[1],"data_offsets":[2,4]}}"#
        let data: [UInt8] = [0xC0, 0x3F, 0x00, 0x3C] + [0, 0, 0, 0, 0, 0, 0x04, 0x40]
        let f = try SafetensorsFile(bytes: file(header, data: data))
        XCTAssertEqual(try f.floats("b"), [1.5])
        XCTAssertEqual(try f.floats("h"), [1])
        XCTAssertEqual(try f.floats("d"), [2.5])
    }

    func testWriterRoundTripIsDeterministicAndAligned() throws {
        let tensors = [
            SafetensorsWriter.Tensor(name: "w", shape: [2, 3], values: [1, 2, 3, 4, 5, -6]),
            SafetensorsWriter.Tensor(name: "b", shape: [0], values: []),
            SafetensorsWriter.Tensor(name: "s", shape: [], values: [7])
        ]
        let meta = ["config": #"{"lr": 0.0001, "path": "a/b"}"#, "epoch": "3"]
        let bytes = SafetensorsWriter.encode(tensors, metadata: meta)
        XCTAssertEqual(bytes, SafetensorsWriter.encode(tensors, metadata: meta))
        let length = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual((8 + length) % 8, 0)
        let f = try SafetensorsFile(bytes: bytes)
        XCTAssertEqual(try f.floats("w"), [1, 2, 3, 4, 5, -6])
        XCTAssertEqual(f.info("w")?.shape, [2, 3])
        XCTAssertEqual(try f.floats("b"), [])
        XCTAssertEqual(f.info("s")?.shape, [])
        XCTAssertEqual(try f.floats("s"), [7])
        XCTAssertEqual(f.metadata, meta)
    }

    /// The one-pass writer lays out exactly the bytes of appending the header length, the header and each
    /// value little-endian in turn (the writer before issue 12), so checkpoints stay byte-identical.
    func testWriterBytesAreLengthHeaderThenLittleEndianValues() throws {
        var generator = SeededGenerator(seed: 5)
        let tensors = [
            SafetensorsWriter.Tensor(name: "a", shape: [3, 7], values: (0..<21).map { _ in Float(generator.nextNormal()) }),
            SafetensorsWriter.Tensor(name: "e", shape: [0], values: []),
            SafetensorsWriter.Tensor(name: "z", shape: [5], values: [0, -0, .infinity, -.greatestFiniteMagnitude, .leastNonzeroMagnitude])
        ]
        let bytes = SafetensorsWriter.encode(tensors, metadata: ["k": "v"])
        let length = Int(bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var expected = Data()
        withUnsafeBytes(of: UInt64(length).littleEndian) { expected.append(contentsOf: $0) }
        expected.append(bytes[8..<8 + length])
        for t in tensors {
            for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { expected.append(contentsOf: $0) } }
        }
        XCTAssertEqual(bytes, expected)
        let header = String(decoding: bytes[8..<8 + length], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"__metadata__":{"k":"v"},"a":{"data_offsets":[0,84]"#), header)
    }

    func testReadsFileWrittenByPythonSafetensors() throws {
        let f = try SafetensorsFile.read(path: FixturePaths.path("model/hmil_released_shared.safetensors"))
        XCTAssertEqual(f.metadata["model"], "hmil")
        XCTAssertEqual(f.info("feature_extractor.0.weight")?.shape, [256, 32])
        XCTAssertEqual(f.info("feature_extractor.0.weight")?.dtype, .f32)
        XCTAssertEqual(try f.floats("bag0.features").count, 32)
    }

    func testReadErrorNamesTheFile() throws {
        let path = NSTemporaryDirectory() + "hmil-broken-\(UInt32.random(in: 0 ... .max)).safetensors"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try SafetensorsFile.read(path: path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(path) && text.contains("too short"), text)
        }
    }
}
