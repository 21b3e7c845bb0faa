import ArgumentParser
import Foundation
import Shared

/// `hmil-bench objective`: the whole objective of one batch (every term and every gradient), next to
/// the reference of one bag's first-layer GEMM (N×D by D×256) measured in the same run, to show the
/// objective's share of a training step.
struct ObjectiveBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "objective",
        abstract: "Objective (loss terms + gradients) per batch.")

    @Option(help: "Bags per batch.") var batch = 64
    @Option(help: "Instances per bag.") var instances = 8000
    @Option(help: "Feature dimension D of the reference GEMM.") var featureDim = 1024
    @Option(help: "Repetitions (the median is printed).") var repeats = 5

    func run() throws {
        let parents = [0, 0, 0, 1, 1, 2, 2]
        let width = 256
        let n = instances
        var g = SeededGenerator(seed: 1)
        func uniform(_ count: Int) -> [Float] { (0..<count).map { _ in Float(g.nextUniform()) } }
        let outputs = (0..<batch).map { _ in
            BagOutput(
                instanceCount: n, coarseLogits: uniform(3), fineLogits: uniform(7),
                coarseAttention: uniform(3 * n), fineAttention: uniform(7 * n),
                embedding: uniform(7 * width), embeddingWidth: width)
        }
        let labels = (0..<batch).map { $0 % 7 }
        let objective = Objective(config: .hmil, parents: parents, coarseCount: 3, epochCount: 200)

        func median(_ body: () -> Void) -> Double {
            var times: [Double] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return times.sorted()[times.count / 2]
        }
        var sink = 0.0
        let whole = median { sink += objective.batchLoss(outputs, fineLabels: labels, epoch: 50).total }
        let contrastive = median {
            sink +=
                objective.contrastiveLoss(
                    embeddings: outputs.map(\.embedding), width: width,
                    fineLabels: labels, epoch: 50
                ).value
        }
        var x = uniform(n * featureDim)
        var w = uniform(256 * featureDim)
        var y = [Float](repeating: 0, count: n * 256)
        let gemmSeconds = x.withUnsafeMutableBufferPointer { px in
            w.withUnsafeMutableBufferPointer { pw in
                y.withUnsafeMutableBufferPointer { py in
                    median {
                        gemm(
                            MatrixView(px.baseAddress!, rows: n, cols: featureDim),
                            MatrixView(pw.baseAddress!, rows: 256, cols: featureDim), transposeB: true,
                            into: MatrixView(py.baseAddress!, rows: n, cols: 256))
                    }
                }
            }
        }
        let gflop = 2.0 * Double(n) * 256 * Double(featureDim) / 1e9
        print("objective, batch \(batch) × N \(n), Kc 3, Kf 7, E \(width), hmil preset (median of \(repeats)):")
        print(String(format: "  whole objective      %8.2f ms per batch  (%.3f ms per bag)", whole * 1e3, whole * 1e3 / Double(batch)))
        print(String(format: "  of which SupCon      %8.2f ms per batch", contrastive * 1e3))
        print(
            String(
                format: "  reference: one bag's first-layer sgemm %d×%d×256  %8.2f ms  (%.1f GFLOP/s)", n, featureDim,
                gemmSeconds * 1e3, gflop / gemmSeconds))
        print(String(format: "  objective per bag / that one GEMM: %.3f", whole / Double(batch) / gemmSeconds))
        if sink.isNaN { print("") }
    }
}
