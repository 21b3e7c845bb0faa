import Foundation
import Shared

/// A tiny packed dataset with trained-looking models on disk: what hmil-eval's model path reads.
struct EvaluationFixture {
    static let hierarchy = Hierarchy(
        coarse: ["benign", "malignant"], fine: ["N", "UDH", "DCIS"],
        parent: ["N": "benign", "UDH": "benign", "DCIS": "malignant"])
    let folder: String
    let bags: [Bag]
    var document: PipelineDocument
    var models: [MILModel] = []

    /// `slides` bags of D features (a few instances each, int32 coordinates), labels cycling N, UDH,
    /// DCIS, in two folds; one model per fold with seeded random weights, saved as checkpoints.
    init(
        slides: Int = 8, dim: Int = 6,
        configuration: (Int) -> ModelConfiguration = {
            .hmil(HMILOptions(featureDim: $0, coarseClasses: 2, fineClasses: 3))
        }
    ) throws {
        folder = NSTemporaryDirectory() + "hmil-eval-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: 7)
        var bags: [Bag] = []
        for i in 0..<slides {
            let n = 3 + i % 5
            let features = (0..<n * dim).map { _ in Float(rng.nextNormal()) }
            let coordinates = (0..<2 * n).map { Int32($0 * 256 + i) }
            bags.append(Bag(slideID: "s\(i)", instanceCount: n, featureDim: dim, features: features, coordinates: .int32(coordinates)))
        }
        self.bags = bags
        let packPath = folder + "/bags.hbag"
        let writer = try PackWriter(path: packPath, featureDim: dim, options: PackWriter.Options(coordinates: .int32))
        for bag in bags { try writer.append(bag) }
        try writer.finish()

        let ids = bags.map(\.slideID)
        let half = slides / 2
        let fine = Self.hierarchy.fine
        var document = PipelineDocument(
            format: PipelineDocument.modelsFormat, hierarchy: Self.hierarchy, scheme: "kfold", seed: 1,
            slides: bags.enumerated().map {
                SlideRecord(
                    slideID: $1.slideID, caseID: $1.slideID, label: fine[$0 % 3],
                    instances: $1.instanceCount, pack: 0)
            },
            folds: [
                FoldRecord(fold: 0, train: Array(ids[(half + 1)...]), val: [ids[half]], test: Array(ids[..<half])),
                FoldRecord(fold: 1, train: Array(ids[1..<half]), val: [ids[0]], test: Array(ids[half...]))
            ])
        document.packs = [PackReference(path: packPath, bags: slides, featureDim: dim, dtype: "f32")]
        var records: [ModelRecord] = []
        for fold in 0..<2 {
            var generator = SeededGenerator(seed: 100 + UInt64(fold))
            let model = configuration(dim).makeModel(generator: &generator)
            let path = "\(folder)/fold_\(fold).safetensors"
            try Checkpoint.save(model, metadata: CheckpointMetadata(hierarchy: Self.hierarchy, epoch: 1), to: path)
            models.append(model)
            records.append(ModelRecord(fold: fold, checkpoint: path, bestEpoch: 1, val: [:]))
        }
        document.models = records
        self.document = document
    }

    func bag(_ id: String) -> Bag { bags.first { $0.slideID == id }! }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}

/// Parses a CSV written by hmil-eval (no quoted fields in these tests): header and rows of fields.
func readSimpleCSV(_ path: String) throws -> (header: [String], rows: [[String]]) {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    let split = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    return (split[0], Array(split.dropFirst()))
}
