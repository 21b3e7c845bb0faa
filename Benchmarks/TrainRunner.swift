import ArgumentParser
import Foundation
import Shared

/// Runs one workload end to end: the data written first (untimed), then `repeats` runs of the built
/// hmil-train and of the PyTorch loop, alternating which goes first so drifting load falls on both.
struct TrainRunner {
    let folder: String
    let threads: Int
    let repeats: Int
    /// The interpreter for the PyTorch loop; nil skips it (`--no-torch`, or after it failed once).
    var python: String?

    /// Wall seconds of the runs of one side.
    struct Timing {
        var seconds: [Double] = []
        var peakRSS = 0
        var best: Double { seconds.min() ?? .nan }
        var mean: Double { seconds.reduce(0, +) / Double(max(1, seconds.count)) }
        var formatted: String { String(format: "%7.2f (%7.2f)", best, mean) }
    }

    struct Row {
        var shape: TrainShape
        var hmil: Timing
        var torch: Timing?
        /// Seconds of hmil-train's epochs by its history (training and validation; no start-up,
        /// loading or checkpoint writes), in its fastest run.
        var hmilEpochSeconds: Double?
        var cost: TrainCost
    }

    private var trainTool: String {
        URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("hmil-train").path
    }

    private var torchScript: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Parity/train_loop_bench.py").path
    }

    mutating func measure(_ w: TrainWorkload) throws -> Row {
        let shapeFolder = folder + "/" + w.shape.rawValue
        try FileManager.default.createDirectory(atPath: shapeFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: shapeFolder) }
        let written = DispatchTime.now().uptimeNanoseconds
        let dataset = try TrainData.write(
            train: w.train, val: w.val, dim: w.dim, dtype: w.dtype, folder: shapeFolder,
            numpy: python != nil)
        print(
            String(
                format: "\n%@: %@; %d thread(s) (data written in %.0f s, untimed)", w.shape.rawValue, w.summary, threads,
                Double(DispatchTime.now().uptimeNanoseconds - written) / 1e9))
        let cost = TrainCost(w)
        var row = Row(shape: w.shape, hmil: Timing(), torch: python == nil ? nil : Timing(), cost: cost)
        var torchReport: [String: Any]?
        for attempt in 0..<repeats {
            for side in attempt % 2 == 0 ? [false, true] : [true, false] {
                if side {
                    guard let python, let numpyFolder = dataset.numpyFolder else { continue }
                    guard let (result, report) = runTorch(w, python: python, data: numpyFolder, folder: shapeFolder, attempt: attempt)
                    else {
                        self.python = nil
                        row.torch = nil
                        continue
                    }
                    if result.seconds < row.torch!.best || row.torch!.seconds.isEmpty { torchReport = report }
                    row.torch!.seconds.append(result.seconds)
                    row.torch!.peakRSS = max(row.torch!.peakRSS, result.peakRSS)
                } else {
                    let (result, epochs) = try runHmil(w, dataset: dataset, folder: shapeFolder, attempt: attempt)
                    if row.hmil.seconds.isEmpty || result.seconds < row.hmil.best { row.hmilEpochSeconds = epochs }
                    row.hmil.seconds.append(result.seconds)
                    row.hmil.peakRSS = max(row.hmil.peakRSS, result.peakRSS)
                }
            }
        }
        print(
            String(
                format: "  hmil-train: %.2f s best, %.2f s mean of %d; its epochs (history.jsonl) %@ s; peak RSS %.0f MB",
                row.hmil.best, row.hmil.mean, row.hmil.seconds.count,
                row.hmilEpochSeconds.map { String(format: "%.2f", $0) } ?? "?", Double(row.hmil.peakRSS) / 1e6))
        if let torch = row.torch, let r = torchReport {
            func sum(_ key: String) -> Double { (r[key] as? [Double])?.reduce(0, +) ?? .nan }
            print(
                String(
                    format: "  PyTorch %@ (%d thread(s)): %.2f s best, %.2f s mean of %d; in its best run import %.2f s, loading %.2f s, "
                        + "model and optimizer %.2f s, training %.2f s, validation %.2f s, checkpoints %.2f s; peak RSS %.0f MB",
                    r["torch"] as? String ?? "?", r["threads"] as? Int ?? 0, torch.best, torch.mean, torch.seconds.count,
                    r["import_seconds"] as? Double ?? .nan, r["load_seconds"] as? Double ?? .nan, r["setup_seconds"] as? Double ?? .nan,
                    sum("train_seconds"), sum("val_seconds"), sum("save_seconds"), Double(torch.peakRSS) / 1e6))
        }
        print(
            String(
                format: "  FLOPs: %.2f MFLOP per training instance; %.1f GFLOP in training steps + %.1f GFLOP in validation",
                cost.perInstance / 1e6, cost.training / 1e9, cost.validation / 1e9))
        return row
    }

    /// One hmil-train run as a user starts it; returns its wall time and the seconds of its epochs.
    private func runHmil(_ w: TrainWorkload, dataset: TrainDataset, folder: String, attempt: Int) throws -> (ChildProcess.Result, Double?) {
        let out = folder + "/hmil-\(attempt)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let stderr = folder + "/hmil-train.stderr"
        let result = try ChildProcess.run(
            trainTool, [dataset.documentPath, "--out", out, "--threads", "\(threads)", "--quiet"] + w.trainFlags,
            stdout: folder + "/models.json", stderr: stderr)
        guard result.status == 0 else {
            let message = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
            throw ValidationError("hmil-train failed (exit \(result.status)): \(message)")
        }
        let epochs = try? TrainRunner.historySeconds(folder: out + "/fold_0").reduce(0, +)
        return (result, epochs)
    }

    /// One run of the PyTorch loop; nil (with the reason printed) when it fails.
    private func runTorch(_ w: TrainWorkload, python: String, data: String, folder: String, attempt: Int) -> (
        ChildProcess.Result, [String: Any]
    )? {
        let out = folder + "/torch-\(attempt)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (stdout, stderr) = (folder + "/torch.json", folder + "/torch.stderr")
        let arguments = [
            python, torchScript, "--data", data, "--out", out, "--model", w.model, "--preset", w.preset,
            "--epochs", "\(w.epochs)", "--batch-size", "\(w.batchSize)", "--threads", "\(threads)"
        ]
        guard let result = try? ChildProcess.run("/usr/bin/env", arguments, stdout: stdout, stderr: stderr), result.status == 0,
            let text = try? String(contentsOfFile: stdout, encoding: .utf8), let line = text.split(separator: "\n").last,
            let report = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            let message = ((try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "").split(separator: "\n").last ?? ""
            print("  PyTorch loop failed (\(message)); is torch installed for \(python)? Skipping it from here on.")
            return nil
        }
        return (result, report)
    }

    /// The `seconds` of each epoch in a fold folder's history.jsonl.
    static func historySeconds(folder: String) throws -> [Double] {
        try String(contentsOfFile: folder + "/history.jsonl", encoding: .utf8).split(separator: "\n").map {
            let record = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            guard let seconds = record?["seconds"] as? Double else { throw ValidationError("history.jsonl without seconds in \(folder)") }
            return seconds
        }
    }
}
