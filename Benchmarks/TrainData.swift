import Foundation
import Shared

/// The bags of a training benchmark, written before anything is timed: a pack and its dataset
/// document (fold 0: the training and validation parts) for hmil-train, and, with `numpy`, the same
/// values as one float32 .npy file per bag plus `manifest.json` for the PyTorch loop
/// (Tests/Parity/train_loop_bench.py), which loads them into memory as a user would.
struct TrainDataset {
    var document: PipelineDocument
    var documentPath: String
    /// The folder with manifest.json and the .npy files (nil without `numpy`).
    var numpyFolder: String?
}

enum TrainData {
    /// BRACS's 3/7 hierarchy; fine labels go round-robin (validation: every third class, so a part of
    /// two bags already has two coarse classes).
    static let hierarchy = Hierarchy(
        coarse: ["benign", "atypical", "malignant"], fine: ["N", "PB", "UDH", "FEA", "ADH", "DCIS", "IC"],
        parent: [
            "N": "benign", "PB": "benign", "UDH": "benign", "FEA": "atypical", "ADH": "atypical",
            "DCIS": "malignant", "IC": "malignant"
        ])

    /// Features are uniform with unit variance (as good as normal for timing, and much cheaper to
    /// draw), seeded per bag and generated one bag at a time, so the benchmark's own memory stays
    /// small; with an f16 or bf16 pack they are rounded to that dtype first, so both sides see the same values.
    static func write(train: [Int], val: [Int], dim: Int, dtype: StorageDType, folder: String, numpy: Bool) throws -> TrainDataset {
        let packPath = folder + "/bags.hbag"
        let numpyFolder = numpy ? folder + "/numpy" : nil
        if let numpyFolder { try FileManager.default.createDirectory(atPath: numpyFolder, withIntermediateDirectories: true) }
        let writer = try PackWriter(path: packPath, featureDim: dim, options: .init(dtype: dtype))
        var slides: [SlideRecord] = []
        var manifest = Manifest(featureDim: dim, parents: hierarchy.parentIndex, train: [], val: [])
        let fine = hierarchy.fine
        let parts = [("train", train, { (i: Int) in i % fine.count }), ("val", val, { (i: Int) in 3 * i % fine.count })]
        var stream: UInt64 = 0
        for (part, sizes, label) in parts {
            for (i, n) in sizes.enumerated() {
                var rng = SeededGenerator(seed: 7, stream: stream)
                stream += 1
                let features = (0..<n * dim).map { _ in stored(Float((rng.nextUniform() - 0.5) * 3.4641016), dtype) }
                let id = "\(part)_\(i)"
                try writer.append(Bag(slideID: id, instanceCount: n, featureDim: dim, features: features))
                slides.append(SlideRecord(slideID: id, caseID: id, label: fine[label(i)], instances: n))
                if let numpyFolder {
                    try writeNumpy(features, rows: n, cols: dim, to: "\(numpyFolder)/\(id).npy")
                    let entry = Manifest.Entry(file: "\(id).npy", label: label(i))
                    if part == "train" { manifest.train.append(entry) } else { manifest.val.append(entry) }
                }
            }
        }
        try writer.finish()
        let ids = slides.map(\.slideID)
        var document = PipelineDocument(
            format: PipelineDocument.datasetFormat, hierarchy: hierarchy, scheme: "kfold", seed: 1,
            slides: slides,
            folds: [
                FoldRecord(
                    fold: 0, train: Array(ids[..<train.count]),
                    val: Array(ids[train.count...]), test: [])
            ])
        document.packs = [PackReference(path: packPath, bags: slides.count, featureDim: dim, dtype: dtype.rawValue)]
        let documentPath = folder + "/dataset.json"
        try DocumentIO.encode(document).write(to: URL(fileURLWithPath: documentPath))
        if let numpyFolder {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            try encoder.encode(manifest).write(to: URL(fileURLWithPath: numpyFolder + "/manifest.json"))
        }
        return TrainDataset(document: document, documentPath: documentPath, numpyFolder: numpyFolder)
    }

    /// What the PyTorch loop reads beside the .npy files: D, the fine → coarse map, each part's files and fine labels.
    private struct Manifest: Encodable {
        struct Entry: Encodable {
            var file: String
            var label: Int
        }
        var featureDim: Int
        var parents: [Int]
        var train: [Entry]
        var val: [Entry]
    }

    /// `value` as the pack stores it in `dtype`, back in f32.
    private static func stored(_ value: Float, _ dtype: StorageDType) -> Float {
        switch dtype {
        case .f32: return value
        case .f16: return HalfFloat.float(f16Bits: HalfFloat.f16Bits(value))
        case .bf16: return HalfFloat.float(bf16Bits: HalfFloat.bf16Bits(value))
        }
    }

    /// A float32 rows × cols array in NumPy's .npy format 1.0 (numpy.lib.format): magic, version, a
    /// little-endian header length, a Python-literal header padded with spaces to a multiple of 64
    /// bytes and ended by a newline, then the data in C order.
    static func writeNumpy(_ values: [Float], rows: Int, cols: Int, to path: String) throws {
        precondition(values.count == rows * cols)
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(cols)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBytes { data.append(contentsOf: $0) }  // this host is little-endian, as '<f4' says
        try data.write(to: URL(fileURLWithPath: path))
    }
}
