import ArgumentParser
import Foundation
import Shared

/// `hmil-bench model`: HMIL's training step (forward + backward, no optimizer) and inference on a
/// synthetic bag, next to (a) the same step of the PyTorch reference module on CPU with the same
/// thread count (Tests/Parity/model_bench.py) and (b) OpenBLAS sgemm alone on the step's products.
struct ModelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "HMIL training step and inference: instances/s vs PyTorch CPU and vs raw sgemm on the same shapes.")

    @Option(help: "Instances per bag.") var instances = 8000
    @Option(help: "Feature dimension D.") var dim = 1024
    @Option(help: "Coarse classes Kc.") var coarse = 3
    @Option(help: "Fine classes Kf.") var fine = 7
    @Option(help: "Threads for OpenBLAS and for PyTorch.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Timed repetitions after one warm-up; the best is reported (the machine is shared).") var repeats = 5
    @Option(help: "Bags per optimizer step, to amortise the per-step composition.") var bagsPerStep = 64
    @Option(help: "Python interpreter with torch.") var python = "python3"
    @Flag(help: "Skip the PyTorch reference.") var noTorch = false

    func run() throws {
        BLAS.threadCount = threads
        let options = HMILOptions(featureDim: dim, coarseClasses: coarse, fineClasses: fine)
        var generator = SeededGenerator(seed: 1)
        let model = HMILModel(options: options, generator: &generator)
        let n = instances
        let x = (0..<n * dim).map { _ in Float(generator.nextNormal()) }
        let workspace = Workspace()
        let gradients = model.makeGradientBuffer()
        let probe = model.forward(features: x, instanceCount: n, workspace: workspace)
        var upstreamGenerator = SeededGenerator(seed: 2)
        func noise(_ count: Int) -> [Float] { (0..<count).map { _ in Float(upstreamGenerator.nextNormal()) } }
        let upstream = BagOutputGradient(
            coarseLogits: noise(probe.coarseLogits.count), fineLogits: noise(probe.fineLogits.count),
            coarseAttention: noise(probe.coarseAttention.count),
            fineAttention: noise(probe.fineAttention.count), embedding: noise(probe.embedding.count))
        model.backward(upstream, workspace: workspace, into: gradients)
        let trainBytes = workspace.bytesAllocated

        let train = best(repeats) {
            _ = model.forward(features: x, instanceCount: n, workspace: workspace)
            model.backward(upstream, workspace: workspace, into: gradients)
        }
        let perStep = best(repeats) {
            model.prepare()
            model.addGradients([gradients])
        }
        let inferenceWorkspace = Workspace()
        let infer = best(repeats) { _ = model.infer(features: x, instanceCount: n, workspace: inferenceWorkspace) }
        let inferBytes = inferenceWorkspace.bytesAllocated

        let trainProducts = model.bagProducts(instanceCount: n, training: true)
        let inferProducts = model.bagProducts(instanceCount: n, training: false)
        let trainFlops = trainProducts.reduce(0) { $0 + $1.flops }
        let inferFlops = inferProducts.reduce(0) { $0 + $1.flops }
        let stepFlops = model.stepProducts.reduce(0) { $0 + $1.flops }
        let sgemmTrain = sgemmSeconds(trainProducts)
        let sgemmInfer = sgemmSeconds(inferProducts)
        let sgemmLargest = sgemmSeconds([ProductShape(n, 256, dim, transposeB: true)])
        let amortised = train + perStep / Double(bagsPerStep)

        print("HMIL D \(dim), Kc \(coarse), Kf \(fine), bag of \(n) instances, \(threads) thread(s), best of \(repeats)")
        print(
            String(
                format:
                    "sgemm (OpenBLAS) on the step's shapes: training %.1f GFLOP/s, inference %.1f GFLOP/s; N×D·Dᵀ×256 alone %.1f GFLOP/s",
                trainFlops / sgemmTrain / 1e9, inferFlops / sgemmInfer / 1e9,
                ProductShape(n, 256, dim).flops / sgemmLargest / 1e9))
        print(
            String(
                format: "FLOPs per instance: training %.2f M (+ %.0f MFLOP per optimizer step), inference %.2f M",
                trainFlops / Double(n) / 1e6, stepFlops / 1e6, inferFlops / Double(n) / 1e6))
        print(
            String(
                format: "training step:  %8.0f instances/s  (%.1f ms/bag, %.1f GFLOP/s = %.0f%% of sgemm on the same shapes)",
                Double(n) / train, train * 1e3, trainFlops / train / 1e9, 100 * sgemmTrain / train))
        print(
            String(
                format: "  with per-step composition amortised over %d bags: %8.0f instances/s (composition %.1f ms/step)",
                bagsPerStep, Double(n) / amortised, perStep * 1e3))
        print(
            String(
                format: "inference:      %8.0f instances/s  (%.1f ms/bag, %.1f GFLOP/s = %.0f%% of sgemm on the same shapes)",
                Double(n) / infer, infer * 1e3, inferFlops / infer / 1e9, 100 * sgemmInfer / infer))
        print(
            String(
                format:
                    "activation memory: training %.0f bytes/instance (workspace %.1f MB), inference %.0f bytes/instance (workspace %.1f MB, tile %d)",
                Double(trainBytes) / Double(n), Double(trainBytes) / 1e6, Double(inferBytes) / Double(n),
                Double(inferBytes) / 1e6, HMILModel.inferenceTile))

        guard !noTorch else { return }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Parity/model_bench.py").path
        guard let torch = runTorch(script: script) else { return }
        let torchTrain = torch["train_instances_per_second"] as? Double ?? .nan
        let torchInfer = torch["infer_instances_per_second"] as? Double ?? .nan
        print(
            String(
                format: "PyTorch %@ CPU, %d thread(s), reference module: training %8.0f instances/s, inference %8.0f instances/s",
                torch["torch"] as? String ?? "?", torch["threads"] as? Int ?? 0, torchTrain, torchInfer))
        print(
            String(
                format: "hmil / PyTorch: training %.2f× (%.2f× amortised; target ≥ 2.5×), inference %.2f× (target ≥ 3×)",
                Double(n) / train / torchTrain, Double(n) / amortised / torchTrain, Double(n) / infer / torchInfer))
    }

    /// Best wall time of `repeats` runs of `body`, after one warm-up run: on a shared machine the
    /// least disturbed run is the best estimate (PyTorch is timed the same way).
    private func best(_ repeats: Int, _ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.min()!
    }

    /// Seconds OpenBLAS sgemm alone needs for `products` (each shape timed on its own buffers).
    private func sgemmSeconds(_ products: [ProductShape]) -> Double {
        products.reduce(0) { total, p in total + p.timedRuns(repeats).min()! * Double(p.repeats) }
    }

    private func runTorch(script: String) -> [String: Any]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            python, script, "--instances", "\(instances)", "--dim", "\(dim)", "--coarse", "\(coarse)",
            "--fine", "\(fine)", "--threads", "\(threads)", "--repeats", "\(repeats)"
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        do {
            try process.run()
        } catch {
            print("PyTorch reference: cannot run \(python): \(error)")
            return nil
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
            let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            print("PyTorch reference failed (exit \(process.terminationStatus)); is torch installed for \(python)?")
            return nil
        }
        return json
    }
}
