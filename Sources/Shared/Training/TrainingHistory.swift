import Foundation

/// One epoch of a training run: every loss term, the schedules, the learning rate, train and
/// validation metrics and the time taken. Written as JSON lines and as CSV in the fold's folder.
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var lr: Double
    public var alpha: Double
    public var tau: Double
    /// Mean over the epoch's batches of each loss term, by name ("total", "coarse", "fine", …).
    public var train: [String: Double]
    /// Validation loss terms and metrics ("loss", "fine_auc", "fine_accuracy", "coarse_auc", …).
    public var val: [String: Double]
    public var seconds: Double

    public init(
        epoch: Int, lr: Double, alpha: Double, tau: Double, train: [String: Double], val: [String: Double],
        seconds: Double
    ) {
        self.epoch = epoch
        self.lr = lr
        self.alpha = alpha
        self.tau = tau
        self.train = train
        self.val = val
        self.seconds = seconds
    }
}

public enum TrainingHistory {
    /// Rewrites `history.jsonl` and `history.csv` in `folder` from the records (atomically, so a
    /// resumed run never sees a half-written or duplicated epoch). `durable` false leaves out the sync
    /// (the trainer's choice: the records are also in state.json, from which a resumed run rewrites them).
    public static func write(_ records: [EpochRecord], to folder: String, durable: Bool = true) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var lines = Data()
        for record in records {
            lines.append(try encoder.encode(record))
            lines.append(0x0A)
        }
        try AtomicFile.write(lines, to: folder + "/history.jsonl", durable: durable)
        try AtomicFile.write(Data(csv(records).utf8), to: folder + "/history.csv", durable: durable)
    }

    /// Columns: epoch, lr, alpha, tau, seconds, then train_* and val_* keys in sorted order.
    public static func csv(_ records: [EpochRecord]) -> String {
        let trainKeys = Set(records.flatMap { $0.train.keys }).sorted()
        let valKeys = Set(records.flatMap { $0.val.keys }).sorted()
        var text =
            (["epoch", "lr", "alpha", "tau", "seconds"] + trainKeys.map { "train_" + $0 } + valKeys.map { "val_" + $0 })
            .joined(separator: ",") + "\n"
        for r in records {
            var row = ["\(r.epoch)", format(r.lr), format(r.alpha), format(r.tau), format(r.seconds)]
            row += trainKeys.map { r.train[$0].map(format) ?? "" }
            row += valKeys.map { r.val[$0].map(format) ?? "" }
            text += row.joined(separator: ",") + "\n"
        }
        return text
    }

    private static func format(_ x: Double) -> String {
        x.isFinite ? "\(x)" : (x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf"))
    }
}
