import CHDF5
import Foundation
import Shared
import TestSupport
import XCTest

/// Runs the built `hmil-demo-data` on the real Fashion-MNIST files (Debian's dataset-fashion-mnist) in its
/// small mode and checks what it promises: the task's shape, key shares, no image used twice, HDF5 files
/// holding exactly the named images' pixels, determinism by seed; and a one-line error for each kind of bad
/// IDX file (those use tiny files written here, so they run without the data set too).
final class DemoDataTests: XCTestCase {
    static let datasetFolder = "/usr/share/datasets/fashion-mnist"
    static let rawNames = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    static let fine = ["normal", "sandal", "sneaker", "ankle_boot", "tshirt", "pullover", "shirt"]
    static let background: Set<String> = ["trouser", "dress", "coat", "bag"]

    /// The raw (gunzipped) files, decompressed once for all tests into a temporary folder.
    nonisolated(unsafe) static var rawFolder: String?

    var scratch: String!

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "demo-data-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    override class func tearDown() {
        if let rawFolder { try? FileManager.default.removeItem(atPath: rawFolder) }
        rawFolder = nil
        super.tearDown()
    }

    // MARK: - The real data set, small mode

    func testSmallDataSetHasTheShapeOfTheTask() throws {
        let out = try buildSmall(seed: 3)
        let labels = try csv(out + "/labels.csv")
        XCTAssertEqual(labels.header, ["case_id", "slide_id", "label"])
        XCTAssertEqual(labels.rows.count, 7 * 8, "8 bags for each of the 7 fine classes")
        for label in Self.fine {
            XCTAssertEqual(labels.rows.filter { $0[2] == label }.count, 8, label)
        }
        XCTAssertEqual(Set(labels.rows.map { $0[1] }).count, labels.rows.count, "slide ids are unique")

        // Cases group 1–2 slides of one label, and some have two (patient grouping has work to do).
        let slidesOfCase = Dictionary(grouping: labels.rows, by: { $0[0] })
        XCTAssertTrue(slidesOfCase.values.allSatisfy { (1...2).contains($0.count) && Set($0.map { $0[2] }).count == 1 })
        XCTAssertTrue(slidesOfCase.values.contains { $0.count == 2 })

        let hierarchy = try JSONDecoder().decode(Hierarchy.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/hierarchy.json")))
        try hierarchy.validate(source: "hierarchy.json")
        XCTAssertEqual(hierarchy.coarse, ["normal", "footwear", "tops"])
        XCTAssertEqual(hierarchy.fine, Self.fine)
        XCTAssertEqual(hierarchy.parentIndex, [0, 1, 1, 1, 2, 2, 2])

        let instances = try csv(out + "/instance_labels.csv")
        XCTAssertEqual(instances.header, ["slide_id", "instance", "label", "garment_class", "image"])
        let labelOfSlide = Dictionary(uniqueKeysWithValues: labels.rows.map { ($0[1], $0[2]) })
        let rowsOfSlide = Dictionary(grouping: instances.rows, by: { $0[0] })
        XCTAssertEqual(Set(rowsOfSlide.keys), Set(labelOfSlide.keys))
        for (slide, rows) in rowsOfSlide {
            let label = labelOfSlide[slide]!
            XCTAssertTrue((32...96).contains(rows.count), "\(slide) holds \(rows.count) garments")
            XCTAssertEqual(rows.map { Int($0[1])! }, Array(0..<rows.count), "\(slide): instances numbered in row order")
            let keys = rows.filter { $0[2] == "1" }
            for row in rows {
                if row[2] == "1" {
                    XCTAssertEqual(row[3], label, "\(slide): a key garment is of the bag's class")
                } else {
                    XCTAssertEqual(row[2], "0")
                    XCTAssertTrue(Self.background.contains(row[3]), "\(slide): \(row[3]) is not a background garment")
                }
            }
            let share = Double(keys.count) / Double(rows.count)
            if label == "normal" {
                XCTAssertEqual(keys.count, 0, "\(slide): a normal bag has no key garments")
            } else {
                XCTAssertGreaterThanOrEqual(share, 0.05 - 1e-12, slide)
                XCTAssertLessThanOrEqual(share, 0.20 + 1e-12, slide)
            }
        }
        let images = instances.rows.map { $0[4] }
        XCTAssertEqual(Set(images).count, images.count, "no image is used twice")
        XCTAssertTrue(images.allSatisfy { $0.hasPrefix("train:") || $0.hasPrefix("t10k:") })
    }

    func testFeatureFilesHoldTheNamedImagesPixelsOnAGrid() throws {
        let out = try buildSmall(seed: 3)
        let raw = try Self.rawFashionMNIST()
        let pixels = [
            "train": try Data(contentsOf: URL(fileURLWithPath: raw + "/train-images-idx3-ubyte")),
            "t10k": try Data(contentsOf: URL(fileURLWithPath: raw + "/t10k-images-idx3-ubyte"))
        ]
        let instances = try csv(out + "/instance_labels.csv")
        let rowsOfSlide = Dictionary(grouping: instances.rows, by: { $0[0] })
        for (slide, rows) in rowsOfSlide {
            let path = out + "/h5_files/\(slide).h5"
            let features = try readDataset(path, "features", as: Float.self)
            let coords = try readDataset(path, "coords", as: Int32.self)
            XCTAssertEqual(features.dims, [rows.count, 784], slide)
            XCTAssertEqual(coords.dims, [rows.count, 2], slide)
            for row in rows {
                let n = Int(row[1])!
                let source = row[4].split(separator: ":")
                let offset = 16 + Int(source[1])! * 784
                let expected = pixels[String(source[0])]![offset..<offset + 784].map { Float($0) / 255 }
                guard features.values[n * 784..<(n + 1) * 784].elementsEqual(expected) else {
                    XCTFail("\(slide) instance \(n): features are not the pixels of \(row[4]) / 255")
                    break
                }
            }
            let positions = stride(from: 0, to: coords.values.count, by: 2).map { [coords.values[$0], coords.values[$0 + 1]] }
            XCTAssertEqual(Set(positions).count, rows.count, "\(slide): one grid cell per garment")
            XCTAssertTrue(coords.values.allSatisfy { $0 >= 0 && $0 % 28 == 0 }, slide)
        }
    }

    func testSameSeedGivesIdenticalFilesAndAnotherSeedDoesNot() throws {
        let first = try buildSmall(seed: 5, into: "first")
        let again = try buildSmall(seed: 5, into: "again")
        let other = try buildSmall(seed: 6, into: "other")
        let files =
            try ["labels.csv", "hierarchy.json", "instance_labels.csv"]
            + FileManager.default.contentsOfDirectory(atPath: first + "/h5_files").sorted().map { "h5_files/" + $0 }
        for file in files {
            XCTAssertEqual(
                FileManager.default.contents(atPath: first + "/" + file),
                FileManager.default.contents(atPath: again + "/" + file), file)
        }
        XCTAssertNotEqual(
            FileManager.default.contents(atPath: first + "/instance_labels.csv"),
            FileManager.default.contents(atPath: other + "/instance_labels.csv"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: first + "/h5_files").filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "no temporary files are left behind")
    }

    func testAskingForMoreBagsThanImagesNamesTheLimit() throws {
        let result = try runBuilder(["--images", try Self.rawFashionMNIST(), "--out", scratch + "/out", "--bags-per-class", "90"])
        XCTAssertEqual(result.status, 1)
        assertOneLineError(result.stderr, contains: "background garments but Fashion-MNIST has 28000")
        XCTAssertTrue(result.stderr.contains("use --bags-per-class"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/out/labels.csv"))
    }

    // MARK: - pipelines/Makefile's demo-data target

    func testMakeBuildsTheDemoDataOnceAndAgainWhenItsOptionsChange() throws {
        _ = try Self.rawFashionMNIST()  // skips when the data set is absent
        let work = scratch + "/demo-work"
        let labels = work + "/data/labels.csv"
        let first = try runMake(["demo-data", "DEMO_WORK=" + work, "SMALL=1"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("pipeline: demo data"), first.stderr)
        XCTAssertEqual(try csv(labels).rows.count, 56)
        let built = try FileManager.default.attributesOfItem(atPath: labels)[.modificationDate] as! Date

        let again = try runMake(["demo-data", "DEMO_WORK=" + work, "SMALL=1"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertFalse(again.stderr.contains("pipeline: demo data"), "a second run reuses the data: \(again.stderr)")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: labels)[.modificationDate] as? Date, built)

        let reseeded = try runMake(["demo-data", "DEMO_WORK=" + work, "SMALL=1", "DEMO_SEED=2"])
        XCTAssertEqual(reseeded.status, 0, reseeded.stderr)
        XCTAssertTrue(reseeded.stderr.contains("pipeline: demo data"), "a new seed rebuilds: \(reseeded.stderr)")
        XCTAssertEqual(
            FileManager.default.contents(atPath: labels),
            FileManager.default.contents(atPath: try buildSmall(seed: 2, into: "direct") + "/labels.csv"))
    }

    func testMakeDryRunListsEveryFoldOfEveryRunOnTheSameSplit() throws {
        let result = try runMake(["-n", "demo", "DEMO_WORK=" + scratch + "/demo-work", "SMALL=1", "FOLDS=3", "EPOCHS=2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.contains("/hmil-split ") }.count, 1, "one split for all runs")
        XCTAssertEqual(lines.filter { $0.contains("/hmil-pack ") }.count, 1, "one pack for all runs")
        for run in ["hmil", "reference", "abmil"] {
            let model = run == "abmil" ? "abmil" : "hmil"
            for fold in 0..<3 {
                XCTAssertEqual(
                    lines.filter {
                        $0.contains("/hmil-train --out \(scratch!)/demo-work/runs/\(run) --fold \(fold) ")
                            && $0.contains("--model \(model)") && $0.contains("--epochs 2 --threads 1")
                    }.count, 1, "\(run) fold \(fold)")
            }
            XCTAssertEqual(
                lines.filter {
                    $0.contains("/hmil-eval \(scratch!)/demo-work/runs/\(run)/fold_0.json ")
                        && $0.contains("--out \(scratch!)/demo-work/runs/\(run)/results")
                }.count, 1, "one hmil-eval of all folds of \(run)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/demo-work/data"), "-n runs nothing")
    }

    // MARK: - Bad input: one line naming the file, exit 1 (tiny synthetic IDX files)

    func testGzipInputIsNamedWithTheFix() throws {
        let folder = try writeIDXSet()
        try Data([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0]).write(to: URL(fileURLWithPath: folder + "/train-images-idx3-ubyte"))
        try assertBuilderFails(images: folder, with: "gzip-compressed", naming: "train-images-idx3-ubyte")
    }

    func testWrongMagicIsAnError() throws {
        let folder = try writeIDXSet()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/train-labels-idx1-ubyte"))
        bytes[0] = 0x12
        try bytes.write(to: URL(fileURLWithPath: folder + "/train-labels-idx1-ubyte"))
        try assertBuilderFails(images: folder, with: "not an IDX file", naming: "train-labels-idx1-ubyte")
    }

    func testLabelsFileInPlaceOfImagesIsAnError() throws {
        let folder = try writeIDXSet()
        try FileManager.default.removeItem(atPath: folder + "/t10k-images-idx3-ubyte")
        try FileManager.default.copyItem(atPath: folder + "/t10k-labels-idx1-ubyte", toPath: folder + "/t10k-images-idx3-ubyte")
        try assertBuilderFails(images: folder, with: "IDX rank 1, expected 3", naming: "t10k-images-idx3-ubyte")
    }

    func testTruncatedImagesAreAnError() throws {
        let folder = try writeIDXSet()
        let path = folder + "/train-images-idx3-ubyte"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 1).write(to: URL(fileURLWithPath: path))
        try assertBuilderFails(images: folder, with: "the file is truncated", naming: "train-images-idx3-ubyte")
    }

    func testHugeDeclaredCountIsAnErrorNotAnAllocation() throws {
        let folder = try writeIDXSet()
        let path = folder + "/train-images-idx3-ubyte"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.replaceSubrange(4..<8, with: [0xFF, 0xFF, 0xFF, 0xFF])
        try bytes.write(to: URL(fileURLWithPath: path))
        try assertBuilderFails(images: folder, with: "need more bytes than the file", naming: "train-images-idx3-ubyte")
    }

    func testImagesThatAreNot28By28AreAnError() throws {
        let folder = try writeIDXSet(side: 27)
        try assertBuilderFails(images: folder, with: "images are 27×27, expected 28×28", naming: "train-images-idx3-ubyte")
    }

    func testLabelCountMustMatchImageCount() throws {
        let folder = try writeIDXSet()
        try idx(header: [0, 0, 8, 1], dims: [3], values: [0, 1, 2]).write(to: URL(fileURLWithPath: folder + "/t10k-labels-idx1-ubyte"))
        try assertBuilderFails(images: folder, with: "3 labels for 20 images", naming: "t10k-labels-idx1-ubyte")
    }

    func testLabelOutsideTheTenClassesIsAnError() throws {
        let folder = try writeIDXSet()
        var labels = [UInt8](repeating: 1, count: 20)
        labels[7] = 10
        try idx(header: [0, 0, 8, 1], dims: [20], values: labels).write(to: URL(fileURLWithPath: folder + "/train-labels-idx1-ubyte"))
        try assertBuilderFails(images: folder, with: "label 10 of image 7", naming: "train-labels-idx1-ubyte")
    }

    func testMissingFileNamesThePathAndHowToMakeIt() throws {
        try assertBuilderFails(images: scratch + "/nowhere", with: "cannot open IDX file", naming: "nowhere/train-images-idx3-ubyte")
    }

    func testTooFewImagesForOneBagIsAnError() throws {
        let folder = try writeIDXSet()
        try assertBuilderFails(
            images: folder, with: "background garments but Fashion-MNIST has", naming: nil, extra: ["--bags-per-class", "1"])
    }

    func testContradictoryOptionsAreAnError() throws {
        let result = try runBuilder(["--images", scratch!, "--out", scratch + "/out", "--min-instances", "50", "--max-instances", "40"])
        XCTAssertEqual(result.status, 1)
        assertOneLineError(result.stderr, contains: "--min-instances 50 is above --max-instances 40")
    }

    // MARK: - Helpers

    /// Builds the small data set of `task` with `seed` into `scratch/name`, skipping when Fashion-MNIST is not installed.
    func buildSmall(seed: Int, into name: String = "data", task: String = "garments") throws -> String {
        let out = scratch + "/" + name
        let result = try runBuilder([
            "--images", try Self.rawFashionMNIST(), "--out", out, "--small", "--seed", String(seed), "--quiet",
            "--task", task
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        return out
    }

    /// Gunzips the Debian package's files once (as pipelines/Makefile does), or skips when it is absent.
    static func rawFashionMNIST() throws -> String {
        if let rawFolder { return rawFolder }
        guard rawNames.allSatisfy({ FileManager.default.fileExists(atPath: datasetFolder + "/" + $0 + ".gz") }) else {
            throw XCTSkip("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)")
        }
        let folder = NSTemporaryDirectory() + "demo-data-tests-fashion-mnist-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in rawNames {
            let gzip = try ToolProcess.run(URL(fileURLWithPath: "/bin/gzip"), ["-dc", datasetFolder + "/" + name + ".gz"])
            guard gzip.status == 0 else { throw XCTSkip("gzip could not decompress \(name)") }
            try gzip.stdout.write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        rawFolder = folder
        return folder
    }

    private func assertBuilderFails(
        images: String, with message: String, naming file: String?, extra: [String] = [],
        line: UInt = #line
    ) throws {
        let result = try runBuilder(["--images", images, "--out", scratch + "/out"] + extra)
        XCTAssertEqual(result.status, 1, result.stderr, line: line)
        assertOneLineError(result.stderr, contains: message, line: line)
        if let file { XCTAssertTrue(result.stderr.contains(file), "error names \(file): \(result.stderr)", line: line) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/out/labels.csv"), line: line)
    }

    private func assertOneLineError(_ stderr: String, contains message: String, line: UInt = #line) {
        XCTAssertTrue(stderr.hasPrefix("hmil-demo-data: error: "), stderr, line: line)
        XCTAssertTrue(stderr.contains(message), "expected '\(message)' in: \(stderr)", line: line)
        XCTAssertEqual(stderr.filter { $0 == "\n" }.count, 1, "one line: \(stderr)", line: line)
    }

    /// Writes a tiny valid IDX set (20 images per part of side×side, labels cycling over the ten classes).
    private func writeIDXSet(side: UInt8 = 28) throws -> String {
        let folder = scratch + "/idx"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let count = 20
        let images = idx(
            header: [0, 0, 8, 3], dims: [count, Int(side), Int(side)],
            values: (0..<count * Int(side) * Int(side)).map { UInt8($0 % 256) })
        let labels = idx(header: [0, 0, 8, 1], dims: [count], values: (0..<count).map { UInt8($0 % 10) })
        for part in ["train", "t10k"] {
            try images.write(to: URL(fileURLWithPath: folder + "/\(part)-images-idx3-ubyte"))
            try labels.write(to: URL(fileURLWithPath: folder + "/\(part)-labels-idx1-ubyte"))
        }
        return folder
    }

    private func idx(header: [UInt8], dims: [Int], values: [UInt8]) -> Data {
        var data = Data(header)
        for d in dims {
            data.append(contentsOf: [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)])
        }
        data.append(contentsOf: values)
        return data
    }

    func runBuilder(_ arguments: [String]) throws -> ToolRun {
        try BuiltTool.run("hmil-demo-data", arguments)
    }

    func csv(_ path: String) throws -> (header: [String], rows: [[String]]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        return (lines.first ?? [], Array(lines.dropFirst()))
    }

    /// Reads a 2-D dataset through libhdf5, checking its stored type matches `T`.
    private func readDataset<T: Numeric & BitwiseCopyable>(_ path: String, _ name: String, as: T.Type) throws -> (dims: [Int], values: [T])
    {
        let file = H5Fopen(path, 0 /* H5F_ACC_RDONLY */, 0 /* H5P_DEFAULT */)
        guard file >= 0 else { throw ToolError("cannot open", at: path) }
        defer { H5Fclose(file) }
        let dataset = H5Dopen2(file, name, 0)
        guard dataset >= 0 else { throw ToolError("no dataset '\(name)'", at: path) }
        defer { H5Dclose(dataset) }
        let type = H5Dget_type(dataset)
        defer { H5Tclose(type) }
        let isFloat = T.self == Float.self
        XCTAssertEqual(H5Tget_class(type), isFloat ? H5T_FLOAT : H5T_INTEGER, "\(path) \(name)")
        XCTAssertEqual(H5Tget_size(type), 4, "\(path) \(name)")
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        XCTAssertEqual(H5Sget_simple_extent_ndims(space), 2)
        var dims = [hsize_t](repeating: 0, count: 2)
        H5Sget_simple_extent_dims(space, &dims, nil)
        var values = [T](repeating: 0, count: Int(dims[0] * dims[1]))
        let memoryType = isFloat ? hmil_h5t_native_float() : hmil_h5t_native_int32()
        let status = values.withUnsafeMutableBytes { H5Dread(dataset, memoryType, 0, 0, 0, $0.baseAddress) }
        guard status >= 0 else { throw ToolError("cannot read '\(name)'", at: path) }
        return (dims.map { Int($0) }, values)
    }
}
