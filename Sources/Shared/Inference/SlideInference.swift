import Foundation

/// Runs a model over many slides on every core: slides in parallel, one worker thread per core, each
/// with its own workspace and single-threaded BLAS (the inference forward works in tiles of
/// `HMILModel.inferenceTile` instances, too small for threaded BLAS to pay). Each slide is computed
/// the same way whatever the thread count, so predictions do not depend on `threads`. Results come
/// back on the calling thread in slide order.
///
/// Outputs with attention are kept only for a few slides at a time (`chunk`), so memory stays bounded
/// by the model, the workers' bags and a fixed number of attention maps, whatever the number of slides.
public struct SlideInference {
    /// Threads in total (≥ 1).
    public let threads: Int

    /// `threads` 0 uses every core.
    public init(threads: Int) {
        self.threads = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
    }

    /// Predicts each slide with `model`, calling `each(position, prediction)` in slide order. With
    /// `keepOutputs` each prediction carries the model's output (logits, attention) and the coordinates.
    public func run(
        model: MILModel, bags: BagSource, slideIDs: [String], keepOutputs: Bool, progress: Progress? = nil,
        _ each: (_ position: Int, _ prediction: BagPrediction) throws -> Void
    ) throws {
        guard !slideIDs.isEmpty else { return }
        let workers = min(threads, slideIDs.count)
        BLAS.threadCount = 1
        let predictor = Predictor(model: model, bags: bags, workers: workers)
        let chunk = keepOutputs ? 4 * workers : slideIDs.count
        var start = 0
        while start < slideIDs.count {
            let end = min(start + chunk, slideIDs.count)
            let predictions = try predictor.predict(Array(slideIDs[start..<end]), keepOutputs: keepOutputs, progress: progress)
            for (offset, prediction) in predictions.enumerated() { try each(start + offset, prediction) }
            start = end
        }
    }
}
