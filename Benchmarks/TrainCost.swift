import Foundation
import Shared

/// The arithmetic a training run has to do, by the cost models of HMILCost.swift and ABMILCost.swift
/// (the restructured computation: one forward and one backward per training bag, however many
/// passes the trainer takes), and the machine's sgemm rate to set it against.
struct TrainCost {
    /// FLOPs of every training step of the run: each training bag's forward + backward once per
    /// epoch, the per-step products once per batch.
    var training: Double
    /// FLOPs of validation: each validation bag's inference once per epoch.
    var validation: Double
    /// Training FLOPs per training instance.
    var perInstance: Double

    var total: Double { training + validation }

    init(_ w: TrainWorkload) {
        let kc = TrainData.hierarchy.coarseCount
        let kf = TrainData.hierarchy.fineCount
        let bag: (Int, Bool) -> [ProductShape]
        let step: [ProductShape]
        if w.model == "abmil" {
            let model = ABMILModel(options: ABMILOptions(featureDim: w.dim, classes: kf))
            bag = { model.bagProducts(instanceCount: $0, training: $1) }
            step = model.stepProducts
        } else {
            let preset = (TrainingOptions.Preset(rawValue: w.preset) ?? .hmil).choices
            let model = HMILModel(
                options: HMILOptions(
                    featureDim: w.dim, coarseClasses: kc, fineClasses: kf,
                    scorer: preset.scorer, embedding: preset.embedding))
            bag = { model.bagProducts(instanceCount: $0, training: $1) }
            step = model.stepProducts
        }
        func flops(_ products: [ProductShape]) -> Double { products.reduce(0) { $0 + $1.flops } }
        let steps = (w.train.count + w.batchSize - 1) / w.batchSize
        let epoch = w.train.reduce(0) { $0 + flops(bag($1, true)) } + Double(steps) * flops(step)
        training = Double(w.epochs) * epoch
        validation = Double(w.epochs) * w.val.reduce(0) { $0 + flops(bag($1, false)) }
        perInstance = epoch / Double(max(1, w.train.reduce(0, +)))
    }

    /// FLOP/s of OpenBLAS sgemm on `size`³ through Shared's `gemm` with `threads` threads: the best
    /// and the mean of `repeats` timed products after one warm-up.
    static func sgemmRate(threads: Int, size: Int = 2048, repeats: Int = 5) -> (best: Double, mean: Double) {
        let previous = BLAS.threadCount
        BLAS.threadCount = threads
        defer { BLAS.threadCount = previous }
        let flops = 2 * pow(Double(size), 3)
        let rates = ProductShape(size, size, size).timedRuns(repeats).map { flops / $0 }
        return (rates.max()!, rates.reduce(0, +) / Double(rates.count))
    }
}
