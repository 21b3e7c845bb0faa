import Foundation
import Shared
import TestSupport
import XCTest

/// What the hmil-train end-to-end tests share: a scratch folder, packs written with PackWriter and
/// dataset documents written directly, bags whose fine class is set by a few planted instances, and
/// a runner for the built `hmil-train`.
final class TrainHarness {
    let folder: URL

    init(_ name: String) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("hmil-train-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    // MARK: - The executable

    /// Starts the built hmil-train in the folder, reading `stdinFile` (or nothing).
    func start(_ arguments: [String], stdinFile: String? = nil) throws -> ToolProcess {
        try BuiltTool.start("hmil-train", arguments, stdin: stdinFile.map { .file($0) } ?? .none, in: folder)
    }

    /// Runs hmil-train to the end on the dataset document at `document`.
    func train(_ document: String, out: String, _ arguments: [String]) throws -> ToolRun {
        try start([document, "--out", path(out), "--quiet"] + arguments).wait()
    }

    // MARK: - Data

    static let hierarchy = Hierarchy(
        coarse: ["a", "b"], fine: ["a1", "a2", "b1", "b2"],
        parent: ["a1": "a", "a2": "a", "b1": "b", "b2": "b"])

    /// A bag of N(0, 1) background instances in which `planted` instances are shifted by `shift` along
    /// its fine class's direction: the class is set by those few instances only.
    static func plantedBag(
        _ id: String, label: Int, instances: Int, planted: Int, featureDim: Int,
        directions: [[Float]], shift: Float = 4, generator: inout SeededGenerator
    ) -> Bag {
        var features = (0..<instances * featureDim).map { _ in Float(generator.nextNormal()) }
        for _ in 0..<planted {
            let row = Int(generator.next() % UInt64(instances))
            for d in 0..<featureDim { features[row * featureDim + d] += shift * directions[label][d] }
        }
        return Bag(slideID: id, instanceCount: instances, featureDim: featureDim, features: features)
    }

    /// Unit directions, one per fine class.
    static func directions(classes: Int, featureDim: Int, generator: inout SeededGenerator) -> [[Float]] {
        (0..<classes).map { _ in
            let v = (0..<featureDim).map { _ in generator.nextNormal() }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { Float($0 / norm) }
        }
    }

    struct Dataset {
        var document: PipelineDocument
        var bags: [Bag]
        var labels: [Int]
    }

    /// Planted-instance bags (`perClass` of each fine class for training, `valPerClass` for validation),
    /// packed into `bags.hbag` with a one-fold dataset document.
    func plantedDataset(
        perClass: Int = 12, valPerClass: Int = 4, featureDim: Int = 16, instances: ClosedRange<Int> = 30...60,
        planted: Int = 5, shift: Float = 4, seed: UInt64 = 11
    ) throws -> Dataset {
        var generator = SeededGenerator(seed: seed)
        let h = Self.hierarchy
        let directions = Self.directions(classes: h.fine.count, featureDim: featureDim, generator: &generator)
        var bags: [Bag] = []
        var labels: [Int] = []
        var train: [String] = []
        var val: [String] = []
        for i in 0..<(perClass + valPerClass) * h.fine.count {
            let label = i % h.fine.count
            let id = String(format: "slide_%03d", i)
            let n = instances.lowerBound + Int(generator.next() % UInt64(instances.count))
            bags.append(
                Self.plantedBag(
                    id, label: label, instances: n, planted: planted, featureDim: featureDim,
                    directions: directions, shift: shift, generator: &generator))
            labels.append(label)
            if i < perClass * h.fine.count { train.append(id) } else { val.append(id) }
        }
        let document = try writeDataset(
            bags: bags, labels: labels,
            folds: [FoldRecord(fold: 0, train: train, val: val, test: [])])
        return Dataset(document: document, bags: bags, labels: labels)
    }

    /// Packs `bags` into `<pack>` and returns the dataset document naming it (also saved as `<name>`).
    @discardableResult
    func writeDataset(
        bags: [Bag], labels: [Int], folds: [FoldRecord], hierarchy: Hierarchy = TrainHarness.hierarchy,
        pack: String = "bags.hbag", name: String = "dataset.json"
    ) throws -> PipelineDocument {
        let writer = try PackWriter(path: path(pack), featureDim: bags[0].featureDim)
        for bag in bags { try writer.append(bag) }
        try writer.finish()
        var document = PipelineDocument(
            format: PipelineDocument.datasetFormat, hierarchy: hierarchy, scheme: "kfold", seed: 1,
            slides: zip(bags, labels).map {
                SlideRecord(
                    slideID: $0.slideID, caseID: $0.slideID, label: hierarchy.fine[$1],
                    instances: $0.instanceCount)
            },
            folds: folds)
        document.packs = [PackReference(path: path(pack), bags: bags.count, featureDim: bags[0].featureDim, dtype: "f32")]
        try save(document, as: name)
        return document
    }

    func save(_ document: PipelineDocument, as name: String) throws {
        try DocumentIO.encode(document).write(to: folder.appendingPathComponent(name))
    }

    // MARK: - Outputs

    func data(_ name: String) -> Data? { FileManager.default.contents(atPath: path(name)) }

    /// history.jsonl of a fold, each record as a dictionary.
    func history(_ out: String, fold: Int = 0) throws -> [[String: Any]] {
        guard let text = data("\(out)/fold_\(fold)/history.jsonl") else { return [] }
        return try String(decoding: text, as: UTF8.self).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    /// The models document a run wrote to stdout.
    static func models(_ run: ToolRun) throws -> PipelineDocument {
        try DocumentIO.decode(PipelineDocument.self, from: run.stdout, source: "stdout")
    }
}
