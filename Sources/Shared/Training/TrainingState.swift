import Foundation

/// Everything a killed run needs to continue as if it had never stopped, written after every
/// completed epoch. The commit point is `state.json`: it is replaced atomically after the epoch's
/// weights (`epoch-<e>.safetensors`) and optimizer state (`epoch-<e>.optimizer.safetensors`) are on
/// disk, so whatever moment a run dies, `state.json` names a complete, consistent set of files.
public struct TrainingState: Codable, Equatable, Sendable {
    public static let format = "hmil.train-state/1"

    public var format = TrainingState.format
    public var fold: Int
    /// Epochs completed; the next epoch to run.
    public var completedEpochs: Int
    public var bestEpoch: Int?
    public var bestValue: Double?
    /// Epochs since the selection metric last improved (early stopping).
    public var staleEpochs: Int
    public var scheduler: ReduceLROnPlateau.State
    public var history: [EpochRecord]
    public var finished: Bool
    /// The effective options as JSON: resuming with other options is refused.
    public var options: String
    /// Process CPU seconds (user + system) of the completed epochs, summed over every resumed run;
    /// nil in a state written before it was recorded.
    public var cpuSeconds: Double?

    public init(
        fold: Int, completedEpochs: Int, bestEpoch: Int?, bestValue: Double?, staleEpochs: Int,
        scheduler: ReduceLROnPlateau.State, history: [EpochRecord], finished: Bool, options: String
    ) {
        self.fold = fold
        self.completedEpochs = completedEpochs
        self.bestEpoch = bestEpoch
        self.bestValue = bestValue
        self.staleEpochs = staleEpochs
        self.scheduler = scheduler
        self.history = history
        self.finished = finished
        self.options = options
    }

    /// The kept epoch's selection value and validation loss, for the tie-break of `CheckpointSelection`.
    /// The loss is read from the kept epoch's history record, so resuming needs nothing that a
    /// state.json written before the tie-break lacks.
    public var best: CheckpointSelection.Best? {
        guard let bestValue else { return nil }
        let loss = bestEpoch.flatMap { epoch in history.last { $0.epoch == epoch }?.val["loss"] }
        return CheckpointSelection.Best(value: bestValue, loss: loss)
    }

    enum CodingKeys: String, CodingKey {
        case format, fold
        case completedEpochs = "completed_epochs"
        case bestEpoch = "best_epoch"
        case bestValue = "best_value"
        case staleEpochs = "stale_epochs"
        case scheduler, history, finished, options
        case cpuSeconds = "cpu_seconds"
    }

    public static func path(in folder: String) -> String { folder + "/state.json" }
    public static func weightsPath(in folder: String, epoch: Int) -> String { folder + "/epoch-\(epoch).safetensors" }
    public static func optimizerPath(in folder: String, epoch: Int) -> String { folder + "/epoch-\(epoch).optimizer.safetensors" }
    /// The kept checkpoint (the best epoch's weights), what the fold's model record names.
    public static func bestPath(in folder: String) -> String { folder + "/best.safetensors" }

    public static func load(from folder: String) throws -> TrainingState? {
        let path = path(in: folder)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try DocumentIO.readInput(path, what: "training state")
        let state = try DocumentIO.decode(TrainingState.self, from: data, source: path)
        guard state.format == format else {
            throw ToolError("unknown training state format '\(state.format)'", at: path)
        }
        return state
    }

    public func save(in folder: String) throws {
        try AtomicFile.write(try DocumentIO.encode(self), to: Self.path(in: folder))
    }
}

/// Optimizer state as a safetensors file: the tensors by name, kind/step/lr in the metadata.
public enum OptimizerStateFile {
    public static func save(_ state: OptimizerState, to path: String) throws {
        try AtomicFile.write(encode(state), to: path)
    }

    /// The file's bytes.
    public static func encode(_ state: OptimizerState) -> Data {
        let tensors = state.tensors.map { SafetensorsWriter.Tensor(name: $0.name, shape: $0.shape, values: $0.values) }
        let metadata = [
            "format": "hmil.optimizer/1", "kind": state.kind, "step_count": String(state.stepCount),
            "learning_rate": "\(state.learningRate)"
        ]
        return SafetensorsWriter.encode(tensors, metadata: metadata)
    }

    public static func load(from path: String) throws -> OptimizerState {
        let file = try SafetensorsFile.read(path: path)
        guard file.metadata["format"] == "hmil.optimizer/1", let kind = file.metadata["kind"],
            let steps = file.metadata["step_count"].flatMap(Int.init),
            let lr = file.metadata["learning_rate"].flatMap(Double.init)
        else {
            throw ToolError("not an hmil optimizer state file", at: path, hint: "restart without --resume")
        }
        let tensors = try file.tensors.map { NamedTensor(name: $0.name, shape: $0.shape, values: try file.floats($0.name)) }
        return OptimizerState(kind: kind, stepCount: steps, learningRate: lr, tensors: tensors)
    }
}
