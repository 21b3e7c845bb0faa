import Foundation
import Shared
import XCTest

final class HDF5FeatureFileTests: XCTestCase {
    func testCLAMTridentAndSTAMPLayouts() throws {
        for name in ["clam.h5", "trident.h5", "trident_f16.h5", "stamp.h5"] {
            try GoldenFeatures.check(name)
        }
    }

    func testCustomKeys() throws {
        try GoldenFeatures.check("custom_keys.h5", keys: FeatureKeys(features: "embeddings/x"))
        let path = FixturePaths.features("custom_keys.h5")
        XCTAssertThrowsMessage(try HDF5FeatureFile.read(path, slideID: "s"), "no dataset 'features' or 'feats'", "slide s", path)
        XCTAssertThrowsMessage(
            try HDF5FeatureFile.read(path, slideID: "s", keys: FeatureKeys(features: "embeddings")), "'embeddings' is not a dataset")
        XCTAssertThrowsMessage(
            try HDF5FeatureFile.read(path, slideID: "s", keys: FeatureKeys(features: "embeddings/x", coordinates: "xy")), "no dataset 'xy'")
    }

    func testTruncatedAndForeignFilesThrow() throws {
        let folder = try FixturePaths.temporaryFolder()
        let bytes = try FixturePaths.bytes("features/trident.h5")
        for length in [0, 8, 100, bytes.count / 2, bytes.count - 100] {
            let path = folder + "/t\(length).h5"
            try Data(bytes[..<length]).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsMessage(try HDF5FeatureFile.read(path, slideID: "t"), path)
        }
        let text = folder + "/text.h5"
        try Data("not hdf5".utf8).write(to: URL(fileURLWithPath: text))
        XCTAssertThrowsMessage(try HDF5FeatureFile.read(text, slideID: "t"), "not an HDF5 file")
    }

    func testMutatedFilesNeverCrash() throws {
        let seed = try FixturePaths.bytes("features/clam.h5")
        let folder = try FixturePaths.temporaryFolder()
        var mutator = ByteMutator(seed: 11)
        for i in 0..<300 {
            let path = folder + "/m\(i % 4).h5"
            try Data(mutator.mutate(seed)).write(to: URL(fileURLWithPath: path))
            _ = try? HDF5FeatureFile.read(path, slideID: "m")
        }
    }
}
