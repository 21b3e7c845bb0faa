import ArgumentParser
import Shared

/// The three runs of issue 12 that `hmil-bench train` times end to end against the PyTorch loop.
enum TrainShape: String, CaseIterable, ExpressibleByArgument {
    /// Few WSI-scale bags in one batch: the large products, `--preset reference`.
    case large
    /// A realistic fold of WSI bags of mixed size in one batch of 64, `--preset hmil`.
    case mixed
    /// Many tiny bags, one per step, ABMIL: fixed per-bag and per-step costs.
    case tiny

    /// The run this shape stands for; `scale` multiplies every bag's instance count (for quick checks).
    func workload(scale: Double) -> TrainWorkload {
        func scaled(_ sizes: [Int]) -> [Int] { sizes.map { max(2, Int((Double($0) * scale).rounded())) } }
        switch self {
        case .large:
            return TrainWorkload(
                shape: self, train: scaled(Array(repeating: 8000, count: 8)), val: scaled([500, 500]),
                dim: 1024, dtype: .f32, model: "hmil", preset: "reference", batchSize: 8, epochs: 3)
        case .mixed:
            return TrainWorkload(
                shape: self, train: scaled(TrainWorkload.spread(64, 2000...20000, seed: 42)),
                val: scaled(TrainWorkload.spread(4, 2000...20000, seed: 43)),
                dim: 1024, dtype: .f16, model: "hmil", preset: "hmil", batchSize: 64, epochs: 5)
        case .tiny:
            return TrainWorkload(
                shape: self, train: scaled(TrainWorkload.spread(100, 2...40, seed: 44)),
                val: scaled(TrainWorkload.spread(20, 2...40, seed: 45)),
                dim: 166, dtype: .f32, model: "abmil", preset: "hmil", batchSize: 1, epochs: 50)
        }
    }
}

/// One training run: bag sizes of the training and validation parts (fine labels go round-robin over
/// a BRACS-like 3/7 hierarchy), the pack's dtype and hmil-train's options.
struct TrainWorkload {
    var shape: TrainShape
    var train: [Int]
    var val: [Int]
    var dim: Int
    /// The pack's storage dtype; f16 features are rounded to f16 before both sides see them, so
    /// PyTorch (which holds float32) trains on the same values.
    var dtype: StorageDType
    var model: String
    var preset: String
    var batchSize: Int
    var epochs: Int

    /// `count` sizes spread evenly over `range`, in a seeded order.
    static func spread(_ count: Int, _ range: ClosedRange<Int>, seed: UInt64) -> [Int] {
        var generator = SeededGenerator(seed: seed)
        var sizes = (0..<count).map { range.lowerBound + (range.upperBound - range.lowerBound) * $0 / max(1, count - 1) }
        sizes.shuffle(using: &generator)
        return sizes
    }

    /// hmil-train's flags for this run (besides the dataset, `--out` and `--threads`).
    var trainFlags: [String] {
        ["--model", model, "--preset", preset, "--batch-size", "\(batchSize)", "--epochs", "\(epochs)"]
    }

    var summary: String {
        func range(_ sizes: [Int]) -> String {
            let (lo, hi) = (sizes.min() ?? 0, sizes.max() ?? 0)
            return lo == hi ? "\(lo)" : "\(lo)–\(hi)"
        }
        let objective = model == "abmil" ? "--model abmil" : "--preset \(preset)"
        return "\(train.count) bags × \(range(train)) + \(val.count) val × \(range(val)), D \(dim), \(dtype.rawValue) pack, "
            + "\(objective), batch \(batchSize), \(epochs) epochs"
    }
}
