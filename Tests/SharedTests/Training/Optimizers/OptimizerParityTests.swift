import Foundation
import Shared
import XCTest

/// Optimizers, ReduceLROnPlateau and clipping against torch itself (Tests/Parity/optimizer_reference.py).
final class OptimizerParityTests: XCTestCase {
    struct Fixture: Decodable {
        struct Config: Decodable {
            var kind: String
            var lr: Double
            var betas: [Double]?
            var eps: Double?
            var weight_decay: Double
            var decoupled: Bool?
            var momentum, dampening: Double?
            var nesterov: Bool?
        }
        struct Run: Decodable {
            var config: Config
            var after_step: [[String: [Double]]]
            var state: [String: [Double]]
        }
        struct Optimizers: Decodable {
            var shapes: [String: [Int]]
            var initial: [String: [Double]]
            var gradients: [[String: [Double]]]
            var runs: [Run]
        }
        struct PlateauSettings: Decodable {
            var mode: String
            var factor: Double
            var patience: Int
            var threshold: Double
            var threshold_mode: String
            var cooldown: Int
            var min_lr, eps, lr: Double
            var metrics: [Double?]
        }
        struct PlateauStep: Decodable {
            var lr: Double
            var num_bad_epochs, cooldown_counter, last_epoch: Int
            var best: Double?
        }
        struct Plateau: Decodable {
            var settings: PlateauSettings
            var steps: [PlateauStep]
        }
        struct Clip: Decodable {
            var max_norm: Double
            var gradients: [String: [Double]]
            var total_norm: Double
            var clipped: [String: [Double]]
        }
        var optimizers: Optimizers
        var plateau: [Plateau]
        var clip: [Clip]
    }

    static let names = ["layer.weight", "layer.bias"]
    var fixture: Fixture!

    override func setUpWithError() throws {
        fixture = try ObjectiveFixtures.load("optimizers", as: Fixture.self)
    }

    func makeParameters() -> ParameterSet {
        ParameterSet(
            Self.names.map { name in
                Parameter(
                    name: name, shape: fixture.optimizers.shapes[name]!,
                    value: fixture.optimizers.initial[name]!.map(Float.init))
            })
    }

    func makeOptimizer(_ c: Fixture.Config, _ parameters: ParameterSet) -> Optimizer {
        if c.kind == "adam" {
            return Adam(
                parameters: parameters, learningRate: c.lr, beta1: c.betas![0], beta2: c.betas![1],
                epsilon: c.eps!, weightDecay: c.weight_decay, decoupledWeightDecay: c.decoupled!)
        }
        return SGD(
            parameters: parameters, learningRate: c.lr, momentum: c.momentum!, dampening: c.dampening!,
            nesterov: c.nesterov!, weightDecay: c.weight_decay)
    }

    func setGradients(_ parameters: ParameterSet, step: Int) {
        for p in parameters.parameters {
            p.gradient = fixture.optimizers.gradients[step][p.name]!.map(Float.init)
        }
    }

    func testEveryStepMatchesTorch() {
        XCTAssertEqual(fixture.optimizers.runs.count, 7)
        for run in fixture.optimizers.runs {
            let parameters = makeParameters()
            let optimizer = makeOptimizer(run.config, parameters)
            for (step, expected) in run.after_step.enumerated() {
                setGradients(parameters, step: step)
                optimizer.step()
                for p in parameters.parameters {
                    assertClose(p.value, expected[p.name]!, "\(run.config) step \(step) \(p.name)")
                    if run.config.kind == "sgd" {  // fused multiply-adds where torch's kernels fuse them
                        XCTAssertEqual(p.value.map(Double.init), expected[p.name]!, "bitwise \(run.config) step \(step)")
                    }
                }
            }
            XCTAssertEqual(optimizer.stepCount, run.after_step.count)
            let state = optimizer.state()
            XCTAssertEqual(state.tensors.map(\.name).sorted(), run.state.keys.sorted(), "\(run.config)")
            for tensor in state.tensors {
                assertClose(tensor.values, run.state[tensor.name]!, "\(run.config) state \(tensor.name)")
            }
        }
    }

    /// Stopping after 3 steps, saving the state and continuing in a fresh optimizer gives bit for bit
    /// the parameters of an uninterrupted run.
    func testResumeIsExact() throws {
        for run in fixture.optimizers.runs {
            let straight = makeParameters()
            let a = makeOptimizer(run.config, straight)
            let resumed = makeParameters()
            let b = makeOptimizer(run.config, resumed)
            for step in 0..<3 {
                setGradients(straight, step: step)
                a.step()
                setGradients(resumed, step: step)
                b.step()
            }
            let saved = b.state()
            let c = makeOptimizer(run.config, resumed)
            c.learningRate = 123  // restored below
            try c.restore(saved, source: "opt.safetensors")
            XCTAssertEqual(c.learningRate, run.config.lr)
            XCTAssertEqual(c.stepCount, 3)
            for step in 3..<run.after_step.count {
                setGradients(straight, step: step)
                a.step()
                setGradients(resumed, step: step)
                c.step()
            }
            for (x, y) in zip(straight.parameters, resumed.parameters) {
                XCTAssertEqual(x.value, y.value, "\(run.config) \(x.name)")
            }
        }
    }

    func testRestoreRejectsStateOfAnotherOptimizerOrModel() {
        let parameters = makeParameters()
        let adam = Adam(parameters: parameters)
        setGradients(parameters, step: 0)
        adam.step()
        let sgd = SGD(parameters: parameters, learningRate: 0.1, momentum: 0.9)
        XCTAssertThrowsError(try sgd.restore(adam.state(), source: "opt.safetensors")) { error in
            XCTAssertEqual(
                "\(error)",
                "optimizer state is for 'adam', not 'sgd' (opt.safetensors) — resume with the optimizer the run was started with")
        }
        var renamed = adam.state()
        renamed.tensors[2].name = "other.bias.exp_avg"
        XCTAssertThrowsError(try adam.restore(renamed, source: "o")) { error in
            XCTAssertEqual(
                "\(error)",
                "optimizer state tensor 2 is 'other.bias.exp_avg', expected 'layer.bias.exp_avg' (o) — the state belongs to a different model"
            )
        }
        var reshaped = adam.state()
        reshaped.tensors[0].shape = [4, 3]
        XCTAssertThrowsError(try adam.restore(reshaped, source: "o")) { error in
            XCTAssertTrue("\(error)".contains("'layer.weight.exp_avg' has shape [4, 3] (12 values), expected [3, 4]"), "\(error)")
        }
        var short = adam.state()
        short.tensors[1].values.removeLast()
        XCTAssertThrowsError(try adam.restore(short, source: "o"))
        var missing = adam.state()
        missing.tensors.removeLast()
        XCTAssertThrowsError(try adam.restore(missing, source: "o")) { error in
            XCTAssertTrue("\(error)".contains("has 3 tensors, expected 4"), "\(error)")
        }
        var badRate = adam.state()
        badRate.learningRate = .nan
        XCTAssertThrowsError(try adam.restore(badRate, source: "o"))
        // A state that failed to restore leaves the optimizer as it was.
        XCTAssertEqual(adam.stepCount, 1)
    }

    func testPlateauMatchesTorch() {
        for (index, run) in fixture.plateau.enumerated() {
            let s = run.settings
            let parameters = makeParameters()
            let optimizer = SGD(parameters: parameters, learningRate: s.lr)
            let scheduler = ReduceLROnPlateau(
                mode: s.mode == "min" ? .min : .max, factor: s.factor, patience: s.patience, threshold: s.threshold,
                thresholdMode: s.threshold_mode == "rel" ? .rel : .abs, cooldown: s.cooldown, minLearningRate: s.min_lr,
                epsilon: s.eps)
            for (step, expected) in run.steps.enumerated() {
                let before = optimizer.learningRate
                let reduced = scheduler.step(metric: s.metrics[step] ?? .nan, optimizer: optimizer)
                let what = "sequence \(index) step \(step)"
                XCTAssertEqual(optimizer.learningRate, expected.lr, accuracy: 1e-15 * expected.lr, what)
                XCTAssertEqual(reduced, optimizer.learningRate != before, what)
                XCTAssertEqual(scheduler.state.badEpochs, expected.num_bad_epochs, what)
                XCTAssertEqual(scheduler.state.cooldownCounter, expected.cooldown_counter, what)
                XCTAssertEqual(scheduler.state.lastEpoch, expected.last_epoch, what)
                XCTAssertEqual(scheduler.state.best, expected.best, what)
            }
        }
    }

    func testPlateauStateRoundTripsThroughJSON() throws {
        let run = fixture.plateau[0]
        let optimizer = SGD(parameters: makeParameters(), learningRate: run.settings.lr)
        let a = ReduceLROnPlateau(factor: 0.1, patience: 5)
        let b = ReduceLROnPlateau(factor: 0.1, patience: 5)
        // Before the first step there is no best yet (torch's inf), which JSON leaves out.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        XCTAssertEqual(
            String(decoding: try encoder.encode(a.state), as: UTF8.self),
            #"{"cooldown_counter":0,"last_epoch":0,"num_bad_epochs":0}"#)
        for metric in run.settings.metrics.prefix(10) { a.step(metric: metric!, optimizer: optimizer) }
        let saved = try JSONEncoder().encode(a.state)
        try b.restore(JSONDecoder().decode(ReduceLROnPlateau.State.self, from: saved), source: "sched.json")
        XCTAssertEqual(a.state, b.state)
        XCTAssertThrowsError(try b.restore(.init(best: 1, badEpochs: -1), source: "sched.json")) { error in
            XCTAssertEqual("\(error)", "scheduler state has negative counters (sched.json)")
        }
    }

    func testClipGradNormMatchesTorch() {
        for c in fixture.clip {
            let parameters = makeParameters()
            for p in parameters.parameters { p.gradient = c.gradients[p.name]!.map(Float.init) }
            let total = GradientClipping.clipGlobalNorm(parameters, maxNorm: c.max_norm)
            XCTAssertEqual(total, c.total_norm, accuracy: 1e-6 * c.total_norm)
            for p in parameters.parameters { assertClose(p.gradient, c.clipped[p.name]!, "clip \(c.max_norm) \(p.name)") }
        }
        let parameters = makeParameters()
        parameters.parameters[0].gradient[0] = .infinity
        parameters.parameters[1].gradient[0] = 2
        XCTAssertEqual(GradientClipping.clipGlobalNorm(parameters, maxNorm: 1), .infinity)
        XCTAssertEqual(parameters.parameters[1].gradient[0], 2, "non-finite norm leaves gradients alone")
    }

    /// Within a few f32 ulps: SGD matches torch bit for bit; Adam differs from torch's kernels in the
    /// last bit now and then (torch's CPU kernels fuse multiply-adds only in some loop shapes).
    private func assertClose(
        _ actual: [Float], _ expected: [Double], _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated() where abs(Double(a) - e) > 1e-6 * max(abs(e), 1e-2) {
            XCTFail("\(what)[\(i)]: \(a) vs torch \(e)", file: file, line: line)
            return
        }
    }
}
