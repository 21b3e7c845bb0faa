import ArgumentParser
import Foundation
import Shared

/// `hmil-bench eval`: hmil-eval's inference throughput (instances/s) next to training's on the same
/// model and bags, in the same run. Both read the bags from a pack, as the tools do, and use every
/// thread the way the tools plan them: inference runs slides in parallel (single-threaded BLAS per
/// worker, `SlideInference`); training runs bags in parallel as `Trainer.workerCount` plans for a batch
/// of every bag, forward + backward per bag (the
/// objective and the optimizer step, small next to these, are left out). Inference has no backward
/// pass and keeps nothing for it: expect ≥ 2.5× the training rate.
struct EvalBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "hmil-eval inference vs training forward+backward: instances/s on the same model and bags.")

    @Option(help: "Bags.") var bags = 16
    @Option(help: "Instances per bag.") var instances = 8000
    @Option(help: "Feature dimension D.") var dim = 1024
    @Option(help: "Threads in total (0: every core).") var threads = 0
    @Option(help: "Timed repetitions of each pass; the best is reported (the machine is shared).") var repeats = 3
    @Flag(help: "Also time inference with the attention files written (hmil-eval --attention).") var attention = false

    func run() throws {
        let threads = self.threads > 0 ? self.threads : ProcessInfo.processInfo.activeProcessorCount
        let folder = NSTemporaryDirectory() + "hmil-bench-eval-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }

        // The bags: ReLU'd Gaussian features with int32 coordinates, packed as f16 (hmil-pack's common choice).
        let hierarchy = Hierarchy(
            coarse: ["benign", "atypical", "malignant"], fine: ["N", "PB", "UDH", "FEA", "ADH", "DCIS", "IC"],
            parent: [
                "N": "benign", "PB": "benign", "UDH": "benign", "FEA": "atypical", "ADH": "atypical",
                "DCIS": "malignant", "IC": "malignant"
            ])
        let pack = folder + "/bags.hbag"
        let writer = try PackWriter(path: pack, featureDim: dim, options: .init(dtype: .f16, coordinates: .int32, compressionLevel: 1))
        var slides: [SlideRecord] = []
        for b in 0..<bags {
            var rng = SeededGenerator(seed: 1, stream: UInt64(b))
            let features = (0..<instances * dim).map { _ in Float(max(0, rng.nextNormal())) }
            let coordinates = Coordinates.int32((0..<2 * instances).map { Int32($0 * 256) })
            try writer.append(
                Bag(slideID: "slide_\(b)", instanceCount: instances, featureDim: dim, features: features, coordinates: coordinates))
            slides.append(
                SlideRecord(slideID: "slide_\(b)", caseID: "case_\(b)", label: hierarchy.fine[b % 7], instances: instances, pack: 0))
        }
        try writer.finish()
        var document = PipelineDocument(
            format: PipelineDocument.datasetFormat, hierarchy: hierarchy, scheme: "kfold", seed: 1,
            slides: slides, folds: [])
        document.packs = [PackReference(path: pack, bags: bags, featureDim: dim, dtype: "f16")]
        let source = try BagSource(document: document, source: "bench")
        let ids = slides.map(\.slideID)

        var generator = SeededGenerator(seed: 1)
        let model = HMILModel(options: HMILOptions(featureDim: dim, coarseClasses: 3, fineClasses: 7), generator: &generator)
        let total = Double(bags * instances)

        // Training as hmil-train plans its threads: forward + backward of every bag.
        let trainWorkers = Trainer.workerCount(threads: threads, meanInstances: instances, batchSize: bags)
        let workspaces = (0..<trainWorkers).map { _ in Workspace() }
        let gradients = (0..<trainWorkers).map { _ in model.makeGradientBuffer() }
        let train = try best {
            BLAS.threadCount = trainWorkers == 1 ? threads : 1
            try parallelItems(workers: trainWorkers, count: bags) { w, i in
                let bag = try source.bag(ids[i])
                let out = model.forward(features: bag.features, instanceCount: bag.instanceCount, workspace: workspaces[w])
                var gradient = BagOutputGradient(zeroLike: out)
                gradient.fineLogits[i % 7] = -1
                gradient.coarseLogits[i % 3] = -1
                for j in gradient.embedding.indices { gradient.embedding[j] = 1e-3 }
                model.backward(gradient, workspace: workspaces[w], into: gradients[w])
            }
        }

        // hmil-eval's inference: SlideInference, as CheckpointPredictions runs it.
        let inference = SlideInference(threads: threads)
        let infer = try best {
            try inference.run(model: model, bags: source, slideIDs: ids, keepOutputs: false) { _, _ in }
        }
        var withAttention: Double?
        if attention {
            withAttention = try best {
                try inference.run(model: model, bags: source, slideIDs: ids, keepOutputs: true) { _, prediction in
                    try AttentionCSV.write(prediction, fold: 0, hierarchy: hierarchy, folder: folder + "/attention")
                }
            }
        }

        print("HMIL D \(dim), Kc 3, Kf 7: \(bags) bags × \(instances) instances from an f16 pack, \(threads) thread(s), best of \(repeats)")
        print(
            String(
                format: "training (forward + backward, %d worker(s)):  %9.0f instances/s  (%.2f s per pass)",
                trainWorkers, total / train, train))
        print(
            String(
                format:
                    "hmil-eval inference (%d worker(s)):          %9.0f instances/s  (%.2f s per pass)  → %.2f× training (target ≥ 2.5×)",
                min(threads, bags), total / infer, infer, train / infer))
        if let withAttention {
            print(
                String(
                    format: "  with --attention files written:           %9.0f instances/s  (%.2f s per pass)",
                    total / withAttention, withAttention))
        }
    }

    /// Best wall time of `repeats` runs after one warm-up (the machine is shared).
    private func best(_ body: () throws -> Void) throws -> Double {
        try body()
        var times: [Double] = []
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.min()!
    }
}
