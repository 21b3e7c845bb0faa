import Foundation

/// What a model says about one bag at inference: class probabilities at both levels and, on
/// request, the attention over instances (for heatmaps and the instance-level evaluation).
public struct BagPrediction: Sendable {
    public var slideID: String
    public var instanceCount: Int
    public var fineProbabilities: [Double]  // [Kf]
    /// From the coarse head (HMIL); nil for the flat model, whose coarse level is Σ of fine probabilities.
    public var coarseProbabilities: [Double]?  // [Kc]
    public var output: BagOutput?  // kept with `keepOutputs` (logits, attention, z)
    public var coordinates: Coordinates?  // kept with `keepOutputs`
}

/// Runs a model's inference forward over many bags, bags in parallel on `workers` threads, each with
/// its own workspace (BLAS single-threaded inside a worker when there are several).
public final class Predictor {
    public let model: MILModel
    public let bags: BagSource
    public let workers: Int
    private var workspaces: [Workspace]

    public init(model: MILModel, bags: BagSource, workers: Int) {
        self.model = model
        self.bags = bags
        self.workers = max(1, workers)
        workspaces = (0..<max(1, workers)).map { _ in Workspace() }
    }

    public func predict(_ slideIDs: [String], keepOutputs: Bool = false, progress: Progress? = nil) throws -> [BagPrediction] {
        let lock = NSLock()
        return try parallelMap(workers: workers, count: slideIDs.count) { worker, i in
            let bag = try bags.bag(slideIDs[i])
            guard bag.instanceCount > 0 else {
                throw ToolError("bag has no instances", at: "slide \(bag.slideID)")
            }
            let out = model.infer(features: bag.features, instanceCount: bag.instanceCount, workspace: workspaces[worker])
            if let progress {
                lock.lock()
                progress.advance()
                lock.unlock()
            }
            return BagPrediction(
                slideID: bag.slideID, instanceCount: bag.instanceCount,
                fineProbabilities: Softmax.probabilities(out.fineLogits),
                coarseProbabilities: out.coarseLogits.isEmpty ? nil : Softmax.probabilities(out.coarseLogits),
                output: keepOutputs ? out : nil, coordinates: keepOutputs ? bag.coordinates : nil)
        }
    }
}
