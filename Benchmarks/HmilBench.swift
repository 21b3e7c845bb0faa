import ArgumentParser
import Shared

/// Benchmarks, one subcommand per area; each prints its figures next to a reference measured in the
/// same run (the machine is shared and noisy, so only ratios within one run mean anything).
@main
struct HmilBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hmil-bench",
        abstract: "hmil's benchmarks; `make bench` runs them all.",
        subcommands: [
            EvalBench.self, HeatmapBench.self, MetricsBench.self, ModelBench.self, ObjectiveBench.self, PackBench.self, PackToolBench.self,
            SplitBench.self, TrainBench.self
        ])
}
