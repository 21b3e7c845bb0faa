import ArgumentParser
import Foundation
import Shared

/// `hmil-bench train`: whole training runs of the built `hmil-train`, timed end to end (process start
/// to exit: start-up, opening the pack, every epoch with its validation, checkpoint and state writes),
/// against the plain PyTorch loop a user would write doing the same work on the same bags in the same
/// run (Tests/Parity/train_loop_bench.py: bags in memory, one autograd graph per batch, Adam,
/// validation and a checkpoint each epoch; its import and loading are inside its time too). The
/// shapes are issue 12's (TrainShapes.swift); beside each ratio, the run's FLOPs by the cost model
/// (TrainCost) as a share of this machine's sgemm rate, measured in the same run.
///
/// `--thread-choice` instead times epochs of small and large bags with 2 workers × 1 BLAS thread
/// against 1 worker × 2 BLAS threads (the measurement behind `Trainer.workerCount`).
struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "hmil-train end to end on issue 12's shapes vs the plain PyTorch loop, and FLOPs as a share of sgemm.")

    @Option(help: "Shapes to run, comma-separated: large, mixed, tiny.") var shapes = ShapeList(TrainShape.allCases)
    @Option(help: "Threads for hmil-train, PyTorch and the sgemm reference (issue 12's shapes use 2).") var threads = 2
    @Option(help: "Runs of each side per shape; the best and the mean are reported.") var repeats = 1
    @Option(help: "Multiplies every bag's instance count (quick checks of the benchmark itself).") var instanceScale = 1.0
    @Option(help: "Pack dtype for every shape (default: f32 for large and tiny, f16 for mixed).") var dtype: StorageDType?
    @Option(help: "Python interpreter with torch.") var python = "python3"
    @Flag(help: "Skip the PyTorch loop.") var noTorch = false
    @Flag(help: "Time worker/BLAS splits on small and large bags instead.") var threadChoice = false
    @Option(help: "Feature dimension D in --thread-choice.") var dim = 1024
    @Option(help: "Bags per epoch in --thread-choice.") var choiceBags = 16
    @Option(help: "Instances per bag in --thread-choice, comma-separated.") var choiceSizes = "500,2000,4000,8000"

    func validate() throws {
        guard threads > 0 else { throw ValidationError("--threads must be positive") }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
        guard instanceScale > 0, instanceScale.isFinite else { throw ValidationError("--instance-scale must be a positive number") }
    }

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hmil-bench-train-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        if threadChoice {
            try measureThreadChoice(folder: folder)
            return
        }
        setvbuf(stdout, nil, _IOLBF, 0)  // progress shows as each shape ends, also through a pipe (bench.sh's tee)
        print("uptime before: \(ChildProcess.output("uptime"))")
        let before = TrainCost.sgemmRate(threads: threads)
        print(
            String(
                format: "sgemm 2048³ (OpenBLAS through Shared's gemm), %d thread(s): %.1f GFLOP/s best of 5 (mean %.1f)",
                threads, before.best / 1e9, before.mean / 1e9))
        var runner = TrainRunner(folder: folder, threads: threads, repeats: repeats, python: noTorch ? nil : python)
        var rows: [TrainRunner.Row] = []
        for shape in shapes.shapes {
            var workload = shape.workload(scale: instanceScale)
            if let dtype { workload.dtype = dtype }
            rows.append(try runner.measure(workload))
        }
        // Measured again after the shapes: a reading taken while the machine was slowed (a neighbour, the
        // clock after a long build) would overstate every share, so the shares use the better of the two.
        let after = TrainCost.sgemmRate(threads: threads)
        print(
            String(
                format: "sgemm again after the shapes: %.1f GFLOP/s best of 5 (mean %.1f)", after.best / 1e9, after.mean / 1e9))
        let sgemm = before.best >= after.best ? before : after
        print("")
        print("end to end, best of \(repeats) (mean); FLOPs = the restructured training steps + validation (TrainCost),")
        print(
            String(
                format: "as a share of sgemm's %.1f GFLOP/s (the better reading) over hmil-train's epochs (history.jsonl)"
                    + " and over its whole run",
                sgemm.best / 1e9))
        print("shape  | hmil-train s      | PyTorch s         | PyTorch/hmil (target) | GFLOP  | % sgemm: epochs  e2e (target ≥ 75%)")
        for row in rows {
            let target = row.shape == .tiny ? 5 : 3
            let ratio = row.torch.map { String(format: "%6.2f× (≥ %d×)", $0.best / row.hmil.best, target) } ?? "     –         "
            let epochShare = row.hmilEpochSeconds.map { String(format: "%5.0f%%", 100 * row.cost.total / ($0 * sgemm.best)) } ?? "    –"
            let name = row.shape.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
            print(
                String(
                    format: "%@ | %@ | %@ | %@       | %6.1f | %@           %5.0f%%",
                    name, row.hmil.formatted, row.torch?.formatted ?? "        –        ", ratio,
                    row.cost.total / 1e9, epochShare, 100 * row.cost.total / (row.hmil.best * sgemm.best)))
        }
        print("uptime after: \(ChildProcess.output("uptime"))")
    }

    // MARK: - Thread choice

    /// Epoch seconds for workers × BLAS threads = 2 × 1 and 1 × 2 on small and large bags.
    private func measureThreadChoice(folder: String) throws {
        print(
            "thread choice: \(choiceBags) bags per epoch, D \(dim), \(threads) threads; one epoch (one pass, as hmil-train's history times it), best of 2"
        )
        for n in choiceSizes.split(separator: ",").compactMap({ Int($0) }) {
            let sizes = [Int](repeating: n, count: choiceBags)
            let dataset = try TrainData.write(train: sizes, val: [], dim: dim, dtype: .f16, folder: folder, numpy: false)
            let source = try BagSource(document: dataset.document, source: "bench")
            var row: [String] = []
            for workers in [threads, 1] {
                var options = TrainingOptions()
                options.epochs = 1
                options.batchSize = choiceBags
                options.threads = threads
                var best = Double.infinity
                for attempt in 0..<2 {
                    let trainer = try Trainer(
                        document: dataset.document, source: "bench", options: options, fold: 0,
                        folder: folder + "/choice-\(n)-\(workers)-\(attempt)", bags: source, quiet: true,
                        workers: workers)
                    _ = try trainer.run(resume: false)
                    // The epoch's own seconds from the history (no checkpoint writes, no set-up).
                    best = min(best, try TrainRunner.historySeconds(folder: trainer.folder).first ?? .infinity)
                }
                row.append(
                    String(
                        format: "%d worker(s) × %d BLAS: %.2f s (%.0f instances/s)", workers, max(1, threads / workers),
                        best, Double(n * choiceBags) / best))
            }
            print("  \(n) instances/bag: " + row.joined(separator: "   "))
        }
    }
}

/// `--shapes large,tiny`: which shapes to run, in the order given.
struct ShapeList: ExpressibleByArgument {
    var shapes: [TrainShape]

    init(_ shapes: [TrainShape]) { self.shapes = shapes }

    init?(argument: String) {
        var shapes: [TrainShape] = []
        for name in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let shape = TrainShape(rawValue: String(name)), !shapes.contains(shape) else { return nil }
            shapes.append(shape)
        }
        self.shapes = shapes
    }

    var defaultValueDescription: String { shapes.map(\.rawValue).joined(separator: ",") }
}

extension StorageDType: ExpressibleByArgument {}
