/// Learning-rate reduction on a plateau, exactly as `torch.optim.lr_scheduler.ReduceLROnPlateau`:
/// after each epoch `step(metric:)` compares the metric with the best so far; when more than
/// `patience` epochs in a row were not better (by the threshold), lr ← max(lr·factor, minLR), unless
/// that changes lr by no more than `epsilon`; then `cooldown` epochs are ignored.
///
/// Defaults are torch's (patience 10); the release uses mode min, factor 0.1, patience 5 on the
/// epoch's mean training loss.
public final class ReduceLROnPlateau {
    public enum Mode: String, Codable, Sendable { case min, max }
    public enum ThresholdMode: String, Codable, Sendable { case rel, abs }

    /// What changes from epoch to epoch; Codable for the resume file.
    public struct State: Codable, Equatable, Sendable {
        /// Best metric so far; nil before the first step (torch's ±inf, which JSON cannot hold).
        public var best: Double?
        public var badEpochs: Int
        public var cooldownCounter: Int
        /// Steps taken (torch's `last_epoch`).
        public var lastEpoch: Int

        public init(best: Double? = nil, badEpochs: Int = 0, cooldownCounter: Int = 0, lastEpoch: Int = 0) {
            self.best = best
            self.badEpochs = badEpochs
            self.cooldownCounter = cooldownCounter
            self.lastEpoch = lastEpoch
        }

        enum CodingKeys: String, CodingKey {
            case best
            case badEpochs = "num_bad_epochs"
            case cooldownCounter = "cooldown_counter"
            case lastEpoch = "last_epoch"
        }
    }

    public let mode: Mode
    public let factor: Double
    public let patience: Int
    public let threshold: Double
    public let thresholdMode: ThresholdMode
    public let cooldown: Int
    public let minLearningRate: Double
    public let epsilon: Double
    public private(set) var state = State()

    public init(
        mode: Mode = .min, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
        thresholdMode: ThresholdMode = .rel, cooldown: Int = 0, minLearningRate: Double = 0,
        epsilon: Double = 1e-8
    ) {
        precondition(factor < 1, "factor should be < 1.0 (as torch)")
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        self.minLearningRate = minLearningRate
        self.epsilon = epsilon
    }

    /// One epoch's metric; changes the optimizer's learning rate when the plateau rule says so and
    /// returns whether it did. A NaN metric counts as not better, as in torch.
    @discardableResult
    public func step(metric: Double, optimizer: Optimizer) -> Bool {
        state.lastEpoch += 1
        if isBetter(metric) {
            state.best = metric
            state.badEpochs = 0
        } else {
            state.badEpochs += 1
        }
        if state.cooldownCounter > 0 {
            state.cooldownCounter -= 1
            state.badEpochs = 0
        }
        guard state.badEpochs > patience else { return false }
        state.cooldownCounter = cooldown
        state.badEpochs = 0
        let old = optimizer.learningRate
        let new = max(old * factor, minLearningRate)
        guard old - new > epsilon else { return false }
        optimizer.learningRate = new
        return true
    }

    /// Continues from a saved state; throws, naming `source`, on values no run can produce.
    public func restore(_ saved: State, source: String) throws {
        guard saved.badEpochs >= 0, saved.cooldownCounter >= 0, saved.lastEpoch >= 0 else {
            throw ToolError("scheduler state has negative counters", at: source)
        }
        if let best = saved.best, best.isNaN {
            throw ToolError("scheduler state's best metric is NaN", at: source)
        }
        state = saved
    }

    private func isBetter(_ a: Double) -> Bool {
        let best = state.best ?? (mode == .min ? .infinity : -.infinity)
        switch (mode, thresholdMode) {
        case (.min, .rel): return a < best * (1 - threshold)
        case (.min, .abs): return a < best - threshold
        case (.max, .rel): return a > best * (1 + threshold)
        case (.max, .abs): return a > best + threshold
        }
    }
}
