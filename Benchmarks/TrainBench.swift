import ArgumentParser
import Foundation
import Shared

/// `hmil-bench train`: one full training epoch of the built `hmil-train` on synthetic WSI-scale bags
/// (a pack written here), in bags/s and instances/s with the child's peak RSS (wait4's ru_maxrss),
/// next to the PyTorch reference doing the same epoch (Tests/Parity/train_bench.py: same module,
/// objective, Adam, batch size and threads) in the same run; and the memory bound
/// model + largest bag's activations + read-ahead the peak should stay under twice of.
///
/// The timed epoch is epoch 1 of a 2-epoch run (the contrastive term on, as in every epoch but the
/// first); hmil-train's own history gives its seconds, without process start and data loading.
/// `--thread-choice` instead times epochs of small and large bags with 2 workers × 1 BLAS thread
/// against 1 worker × 2 BLAS threads (the measurement behind `Trainer.largeBagInstances`).
struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "hmil-train epoch on WSI-scale bags: bags/s, instances/s, peak RSS vs PyTorch CPU and the memory bound.")

    @Option(help: "Bags in the epoch.") var bags = 64
    @Option(help: "Fewest instances in a bag.") var minInstances = 2000
    @Option(help: "Most instances in a bag.") var maxInstances = 20000
    @Option(help: "Feature dimension D.") var dim = 1024
    @Option(help: "Bags per optimizer step.") var batchSize = 64
    @Option(help: "Threads for hmil-train and PyTorch.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "hmil-train --memory-budget values (MiB) to run, comma-separated.") var memoryBudgets = "0,2048"
    @Option(help: "Storage dtype of the pack (PyTorch holds the bags in memory as float16 either way).") var dtype = "f16"
    @Option(help: "Python interpreter with torch.") var python = "python3"
    @Flag(help: "Skip the PyTorch reference.") var noTorch = false
    @Flag(help: "Time worker/BLAS splits on small and large bags instead.") var threadChoice = false
    @Option(help: "Bags per epoch in --thread-choice.") var choiceBags = 16
    @Option(help: "Instances per bag in --thread-choice, comma-separated.") var choiceSizes = "500,2000,4000,8000"

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hmil-bench-train-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        if threadChoice {
            try measureThreadChoice(folder: folder)
            return
        }

        // Instance counts spread evenly over [min, max] in a seeded order; fine labels round-robin.
        var generator = SeededGenerator(seed: 42)
        var sizes = (0 ..< bags).map { minInstances + (maxInstances - minInstances) * $0 / max(1, bags - 1) }
        sizes.shuffle(using: &generator)
        let total = sizes.reduce(0, +)
        let largest = sizes.max()!
        let packStart = Date()
        let document = try writeDataset(folder: folder, sizes: sizes, dtype: StorageDType(rawValue: dtype) ?? .f16)
        let documentPath = folder + "/dataset.json"
        try DocumentIO.encode(document).write(to: URL(fileURLWithPath: documentPath))
        print(String(format: "%d bags, %d–%d instances (%d in all, largest %d) × D %d, %@ pack written in %.0f s; %d thread(s), batch %d",
                     bags, minInstances, maxInstances, total, largest, dim, dtype, Date().timeIntervalSince(packStart),
                     threads, batchSize))

        let bound = memoryBound(largest: largest, kc: document.hierarchy.coarseCount, kf: document.hierarchy.fineCount)
        print(String(format: "memory bound: model %.0f MB + largest bag's activations %.0f MB + read-ahead %.0f MB = %.0f MB; target peak RSS < %.0f MB",
                     bound.model / 1e6, bound.activations / 1e6, bound.readAhead / 1e6, bound.total / 1e6, 2 * bound.total / 1e6))

        let tool = URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("hmil-train").path
        var hmilEpochSeconds: [String: Double] = [:]
        for budget in memoryBudgets.split(separator: ",").map(String.init) {
            let out = folder + "/out-\(budget)"
            let run = try ChildProcess.run(tool, [documentPath, "--out", out, "--epochs", "2", "--batch-size", "\(batchSize)",
                                                  "--threads", "\(threads)", "--memory-budget", budget, "--quiet"],
                                           stdout: folder + "/models.json", stderr: folder + "/train.stderr")
            guard run.status == 0 else {
                let err = (try? String(contentsOfFile: folder + "/train.stderr", encoding: .utf8)) ?? ""
                throw ValidationError("hmil-train failed (status \(run.status)): \(err)")
            }
            let history = try String(contentsOfFile: out + "/fold_0/history.jsonl", encoding: .utf8).split(separator: "\n")
                .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            let seconds = history.map { $0["seconds"] as! Double }
            hmilEpochSeconds[budget] = seconds[1]
            print(String(format: "hmil-train --memory-budget %@: epoch 1 (contrastive on) %.1f s = %.2f bags/s, %.0f instances/s; epoch 0 (one pass) %.1f s; peak RSS %.0f MB (%.2f× the bound)",
                         budget, seconds[1], Double(bags) / seconds[1], Double(total) / seconds[1], seconds[0],
                         Double(run.peakRSS) / 1e6, Double(run.peakRSS) / bound.total))
        }

        guard !noTorch else { return }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Parity/train_bench.py").path
        let torchOut = folder + "/torch.json"
        let torch = try ChildProcess.run("/usr/bin/env", [python, script, "--sizes", sizes.map(String.init).joined(separator: ","),
                                                          "--dim", "\(dim)", "--threads", "\(threads)", "--batch-size", "\(batchSize)"],
                                         stdout: torchOut, stderr: folder + "/torch.stderr")
        guard torch.status == 0, let text = try? String(contentsOfFile: torchOut, encoding: .utf8),
              let line = text.split(separator: "\n").last,
              let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let torchSeconds = json["epoch_seconds"] as? Double else {
            print("PyTorch reference failed (exit \(torch.status)); is torch installed for \(python)?")
            return
        }
        print(String(format: "PyTorch %@ CPU, %d thread(s), two-pass (recompute) epoch 1: %.1f s = %.2f bags/s, %.0f instances/s; peak RSS %.0f MB (of which %.0f MB the bags held as float16)",
                     json["torch"] as? String ?? "?", json["threads"] as? Int ?? 0, torchSeconds, Double(bags) / torchSeconds,
                     Double(total) / torchSeconds, Double(torch.peakRSS) / 1e6, (json["data_bytes"] as? Double ?? 0) / 1e6))
        for (budget, seconds) in hmilEpochSeconds.sorted(by: { $0.key < $1.key }) {
            print(String(format: "PyTorch / hmil epoch time, --memory-budget %@: %.2f× (target ≥ 2.5×)", budget, torchSeconds / seconds))
        }
    }

    // MARK: - Data

    /// Packs `sizes.count` bags of N(0, 1)-like features (generated one at a time, so the benchmark's
    /// own memory stays small) with a BRACS-like 3/7 hierarchy; one fold, every bag in training.
    private func writeDataset(folder: String, sizes: [Int], dtype: StorageDType) throws -> PipelineDocument {
        let hierarchy = Hierarchy(coarse: ["benign", "atypical", "malignant"], fine: ["N", "PB", "UDH", "FEA", "ADH", "DCIS", "IC"],
                                  parent: ["N": "benign", "PB": "benign", "UDH": "benign", "FEA": "atypical", "ADH": "atypical",
                                           "DCIS": "malignant", "IC": "malignant"])
        let path = folder + "/bags.hbag"
        let writer = try PackWriter(path: path, featureDim: dim, options: .init(dtype: dtype))
        var slides: [SlideRecord] = []
        for (i, n) in sizes.enumerated() {
            var rng = SeededGenerator(seed: 7, stream: UInt64(i))
            // Uniform with unit variance: as good as normal for timing, and much cheaper to draw.
            let features = (0 ..< n * dim).map { _ in Float((rng.nextUniform() - 0.5) * 3.4641016) }
            let id = "bag_\(i)"
            try writer.append(Bag(slideID: id, instanceCount: n, featureDim: dim, features: features))
            slides.append(SlideRecord(slideID: id, caseID: id, label: hierarchy.fine[i % hierarchy.fine.count], instances: n))
        }
        try writer.finish()
        var document = PipelineDocument(format: PipelineDocument.datasetFormat, hierarchy: hierarchy, scheme: "kfold", seed: 1,
                                        slides: slides, folds: [FoldRecord(fold: 0, train: slides.map(\.slideID), val: [], test: [])])
        document.packs = [PackReference(path: path, bags: sizes.count, featureDim: dim, dtype: dtype.rawValue)]
        return document
    }

    // MARK: - Memory bound

    struct Bound {
        var model: Double, activations: Double, readAhead: Double
        var total: Double { model + activations + readAhead }
    }

    /// model: parameters, their gradients, Adam's two moments, the weight snapshot and one gradient
    /// buffer per worker; activations: a training workspace after forward + backward of the largest
    /// bag (measured), plus that bag's f32 features the workspace references; read-ahead: one decoded
    /// bag of the largest size (the bag being read while another is computed).
    private func memoryBound(largest: Int, kc: Int, kf: Int) -> Bound {
        var generator = SeededGenerator(seed: 1)
        let model = HMILModel(options: HMILOptions(featureDim: dim, coarseClasses: kc, fineClasses: kf), generator: &generator)
        let floats = Double(model.parameters.parameters.reduce(0) { $0 + $1.count })
        let buffer = model.makeGradientBuffer()
        let blocks = Double(buffer.layout.totalCount)
        let modelBytes = 4 * (4 * floats + blocks * Double(1 + threads))
        let x = [Float](repeating: 0.01, count: largest * dim)
        let workspace = Workspace()
        let out = model.forward(features: x, instanceCount: largest, workspace: workspace)
        model.backward(BagOutputGradient(zeroLike: out), workspace: workspace, into: buffer)
        let features = Double(largest * dim * 4)
        return Bound(model: modelBytes, activations: Double(workspace.bytesAllocated) + features, readAhead: features)
    }

    // MARK: - Thread choice

    /// Epoch seconds for workers × BLAS threads = 2 × 1 and 1 × 2 on small and large bags.
    private func measureThreadChoice(folder: String) throws {
        print("thread choice: \(choiceBags) bags per epoch, D \(dim), \(threads) threads; one epoch (one pass, as hmil-train's history times it), best of 2")
        for n in choiceSizes.split(separator: ",").compactMap({ Int($0) }) {
            let sizes = [Int](repeating: n, count: choiceBags)
            let document = try writeDataset(folder: folder, sizes: sizes, dtype: .f16)
            let source = try BagSource(document: document, source: "bench")
            var row: [String] = []
            for workers in [threads, 1] {
                var options = TrainingOptions()
                options.epochs = 1
                options.batchSize = choiceBags
                options.threads = threads
                var best = Double.infinity
                for attempt in 0 ..< 2 {
                    let trainer = try Trainer(document: document, source: "bench", options: options, fold: 0,
                                              folder: folder + "/choice-\(n)-\(workers)-\(attempt)", bags: source, quiet: true,
                                              workers: workers)
                    _ = try trainer.run(resume: false)
                    // The epoch's own seconds from the history (no checkpoint writes, no set-up).
                    let history = try String(contentsOfFile: trainer.folder + "/history.jsonl", encoding: .utf8)
                    let record = try JSONSerialization.jsonObject(with: Data(history.split(separator: "\n")[0].utf8)) as! [String: Any]
                    best = min(best, record["seconds"] as! Double)
                }
                row.append(String(format: "%d worker(s) × %d BLAS: %.2f s (%.0f instances/s)", workers, max(1, threads / workers),
                                  best, Double(n * choiceBags) / best))
            }
            print("  \(n) instances/bag: " + row.joined(separator: "   "))
        }
    }
}

/// A child process started with posix_spawn and reaped with wait4, so its own peak RSS is known.
enum ChildProcess {
    struct Result {
        var status: Int32
        var peakRSS: Int
        var seconds: Double
    }

    static func run(_ executable: String, _ arguments: [String], stdout: String, stderr: String) throws -> Result {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let start = Date()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw ValidationError("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Result(status: exit, peakRSS: usage.ru_maxrss * 1024, seconds: Date().timeIntervalSince(start))
    }
}
