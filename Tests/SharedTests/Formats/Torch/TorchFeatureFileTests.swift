import Foundation
import Shared
import XCTest

final class TorchFeatureFileTests: XCTestCase {
    func testZipTensorLayouts() throws {
        for name in ["tensor_f32.pt", "view_offset_stride.pt", "view_transposed.pt", "half.pt", "bfloat16.pt", "double.pt", "parameter.pt"]
        {
            try GoldenFeatures.check(name)
        }
    }

    func testDictWithFeaturesAndCoordinates() throws {
        try GoldenFeatures.check("dict_features_coords.pt")
        try GoldenFeatures.check("dict_features_coords.pt", keys: FeatureKeys(features: "features", coordinates: "coords"))
    }

    func testPickledNumpyPayload() throws {
        try GoldenFeatures.check("numpy_payload.pt")
    }

    func testLegacyFormat() throws {
        try GoldenFeatures.check("legacy_tensor.pt")
        try GoldenFeatures.check("legacy_dict.pt")
    }

    func testMissingKeysAreNamed() {
        let path = FixturePaths.features("dict_features_coords.pt")
        XCTAssertThrowsMessage(
            try TorchFeatureFile.read(path, slideID: "s1", keys: FeatureKeys(features: "x")),
            "no key 'x'", "slide s1", path)
        XCTAssertThrowsMessage(
            try TorchFeatureFile.read(path, slideID: "s1", keys: FeatureKeys(coordinates: "xy")),
            "no coordinates key 'xy'")
        XCTAssertThrowsMessage(
            try TorchFeatureFile.read(FixturePaths.features("tensor_f32.pt"), slideID: "s1", keys: FeatureKeys(features: "x")),
            "bare tensor")
    }

    // MARK: hostile input

    func write(_ bytes: [UInt8], _ name: String = "bad.pt") throws -> String {
        let path = try FixturePaths.temporaryFolder() + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testTruncatedFilesThrow() throws {
        for name in ["tensor_f32.pt", "dict_features_coords.pt", "legacy_dict.pt", "numpy_payload.pt"] {
            let bytes = try FixturePaths.bytes("features/" + name)
            for length in [0, 3, 30, bytes.count / 2, bytes.count - 23, bytes.count - 1] {
                let path = try write(Array(bytes[..<length]))
                XCTAssertThrowsMessage(try TorchFeatureFile.read(path, slideID: "t", keys: FeatureKeys()), path)
            }
        }
    }

    func testNotATorchFile() throws {
        let path = try write(Array("hello, world".utf8))
        XCTAssertThrowsMessage(try TorchFeatureFile.read(path, slideID: "t"), "not a torch.save file", path)
    }

    /// Replaces `old` by `new` (same length) inside a real file.
    func patched(_ name: String, _ old: [UInt8], _ new: [UInt8]) throws -> [UInt8] {
        precondition(old.count == new.count)
        var bytes = try FixturePaths.bytes("features/" + name)
        let start = try XCTUnwrap(
            (0...bytes.count - old.count).first { Array(bytes[$0..<$0 + old.count]) == old }, "pattern not in \(name)")
        bytes.replaceSubrange(start..<start + old.count, with: new)
        return bytes
    }

    func testUnknownGlobalIsRefused() throws {
        // The legacy format has no checksum, so a renamed global reaches the pickle machine.
        let bytes = try patched("legacy_tensor.pt", Array("torch\nFloatStorage".utf8), Array("posix\nFloatStorag2".utf8))
        let path = try write(bytes)
        XCTAssertThrowsMessage(try TorchFeatureFile.read(path, slideID: "t"), "posix.FloatStorag2", "not a torch/numpy global")
    }

    func testCorruptedZipEntryFailsItsChecksum() throws {
        let bytes = try patched("tensor_f32.pt", Array("torch\nFloatStorage".utf8), Array("posix\nFloatStorag2".utf8))
        XCTAssertThrowsMessage(try TorchFeatureFile.read(try write(bytes), slideID: "t"), "CRC-32")
    }

    func testHugeDeclaredSizesAreRefusedBeforeAllocation() throws {
        // legacy_tensor.pt ends with one storage record: int64 element count, then 3×4 floats.
        // Claim 2^63 - 1 elements.
        var bytes = try FixturePaths.bytes("features/legacy_tensor.pt")
        let keysEnd = bytes.count - 3 * 4 * 4 - 8
        bytes.replaceSubrange(keysEnd..<keysEnd + 8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        XCTAssertThrowsMessage(try TorchFeatureFile.read(try write(bytes), slideID: "t"), "declares", "more than the file holds")
    }

    func testNaNAndZeroInstancesAreErrors() throws {
        // A 3×4 float tensor whose first value is patched to NaN (legacy: no checksum).
        var bytes = try FixturePaths.bytes("features/legacy_tensor.pt")
        let first = bytes.count - 3 * 4 * 4
        bytes.replaceSubrange(first..<first + 4, with: [0x00, 0x00, 0xC0, 0x7F])
        XCTAssertThrowsMessage(try TorchFeatureFile.read(try write(bytes), slideID: "nanslide"), "not finite", "nanslide")
    }

    /// Crash-freedom: mutated zip and legacy files either read or throw.
    func testMutatedTorchFilesNeverCrash() throws {
        let seeds = try ["tensor_f32.pt", "dict_features_coords.pt", "legacy_dict.pt", "numpy_payload.pt", "legacy_tensor.pt"]
            .map { try FixturePaths.bytes("features/" + $0) }
        let folder = try FixturePaths.temporaryFolder()
        var mutator = ByteMutator(seed: 7)
        var read = 0
        for i in 0..<1500 {
            let path = folder + "/m\(i % 8).pt"
            try Data(mutator.mutate(seeds[i % seeds.count])).write(to: URL(fileURLWithPath: path))
            if (try? TorchFeatureFile.read(path, slideID: "m")) != nil { read += 1 }
        }
        XCTAssertLessThan(read, 1500)
    }
}

extension TorchFeatureFileTests {
    /// A tensor whose stride walks past its storage: the view is checked before anything is read.
    func testViewOutsideItsStorageIsRefused() throws {
        var bytes = try FixturePaths.bytes("features/legacy_tensor.pt")
        // legacy_tensor.pt: size (3, 4) stride (4, 1) written as K 3 K 4 0x86 ... K 4 K 1 0x86; make stride (40, 1).
        let pattern: [UInt8] = [0x4B, 4, 0x4B, 1, 0x86]
        let at = try XCTUnwrap((0..<bytes.count - 5).first { Array(bytes[$0..<$0 + 5]) == pattern })
        bytes[at + 1] = 40
        let path = try write(bytes)
        XCTAssertThrowsMessage(try TorchFeatureFile.read(path, slideID: "t"), "reaches element 83 but its storage holds 12")
    }
}
