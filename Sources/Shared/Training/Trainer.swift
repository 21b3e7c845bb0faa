import Foundation

/// Trains one fold (DESIGN §4, "Training as released"): per epoch the seeded batches of bags, each
/// bag its own forward pass, the objective over the batch, one optimizer step per batch; then
/// validation, ReduceLROnPlateau on the epoch's mean training loss, the checkpoint with the best
/// validation metric kept, and a resumable state written atomically.
///
/// Memory: a batch-level term (supervised contrastive) needs every bag's z before any bag's
/// gradient is known. Bags whose activations fit `memoryBudget` keep them between the two passes;
/// the others are recomputed (a second forward) in pass two, so peak memory stays near
/// model + budget + the largest bag, whatever batch size × bag size. An epoch whose effective
/// contrastive weight w_con·(1 − α) is 0 (epoch 0, or `--weight-contrastive 0`) takes one pass.
public final class Trainer {
    public let options: TrainingOptions
    public let hierarchy: Hierarchy
    public let data: FoldData
    public let bags: BagSource
    public let folder: String
    public let model: MILModel
    public let objective: Objective
    public let optimizer: Optimizer
    public let scheduler: ReduceLROnPlateau
    public let workers: Int
    /// Bytes of activations kept between the passes of a batch.
    public var memoryBudget: Int
    /// Training forward passes of bags so far: one per bag in an epoch without a batch-level term
    /// (`Objective.hasBatchTerm`), one more per bag recomputed in pass two in an epoch with one.
    public private(set) var forwardPasses = 0
    /// Run the two-pass scheme in every epoch, even where the batch-level gradient is zero (tests and
    /// benchmarks: it shows the one-pass path gives the same weights, and what it saves).
    public var alwaysTwoPasses = false
    private let quiet: Bool
    private let tool: String

    private let workerSpaces: [Workspace]
    private let gradients: [GradientBuffer]
    /// Observed activation bytes per instance (largest seen), to plan what fits the budget.
    private var bytesPerInstance: Int

    public init(document: PipelineDocument, source: String, options: TrainingOptions, fold: Int, folder: String,
                bags: BagSource, initCheckpoint: String? = nil, memoryBudget: Int = 0, quiet: Bool = false,
                tool: String = "hmil-train", workers requestedWorkers: Int? = nil) throws {
        try options.validate()
        hierarchy = document.hierarchy
        try hierarchy.validate(source: source)
        data = try FoldData(document: document, fold: fold, source: source, bags: bags)
        try data.checkTrainable(hierarchy: hierarchy, source: source)
        self.options = options
        self.bags = bags
        self.folder = folder
        self.memoryBudget = memoryBudget
        self.quiet = quiet
        self.tool = tool

        let configuration = try Trainer.modelConfiguration(options, hierarchy: hierarchy, featureDim: bags.featureDim)
        var generator = SeededGenerator(seed: options.seed, stream: EpochPlan.stream(fold: fold, epoch: 0, purpose: 2))
        model = configuration.makeModel(generator: &generator)
        if let initCheckpoint {
            try Checkpoint.load(path: initCheckpoint, into: model)
        }
        objective = Objective(config: options.objectiveConfig, hierarchy: hierarchy, epochCount: options.epochs)
        switch options.optimizer {
        case .sgd:
            optimizer = SGD(parameters: model.parameters, learningRate: options.lr, momentum: options.momentum,
                            weightDecay: options.weightDecay)
        case .adam:
            optimizer = Adam(parameters: model.parameters, learningRate: options.lr, weightDecay: options.weightDecay)
        }
        scheduler = ReduceLROnPlateau(mode: .min, factor: options.lrFactor, patience: options.lrPatience)

        // Small bags: bags in parallel, one BLAS thread each. Large bags: one bag at a time, BLAS on every
        // thread. `workers` (benchmarks) overrides the choice; BLAS then gets the threads left per worker.
        let threads = options.threads > 0 ? options.threads : ProcessInfo.processInfo.activeProcessorCount
        let cap = options.maxInstances > 0 ? options.maxInstances : Int.max
        let trainIDs = data.train.slideIDs
        let meanInstances = trainIDs.reduce(0) { $0 + min(bags.instanceCount(of: $1), cap) } / max(1, trainIDs.count)
        let workerCount = requestedWorkers.map { max(1, min($0, threads)) }
            ?? (meanInstances >= Trainer.largeBagInstances ? 1 : threads)
        workers = workerCount
        BLAS.threadCount = max(1, threads / workerCount)
        workerSpaces = (0 ..< workerCount).map { _ in Workspace() }
        let built = model
        gradients = (0 ..< workerCount).map { _ in built.makeGradientBuffer() }
        bytesPerInstance = 4 * (bags.featureDim + 4 * 768)
    }

    /// Bags at least this large (mean of the fold) run one at a time with multi-threaded BLAS: below it
    /// bags in parallel are faster and cost little memory, above it two bags in flight cost more memory
    /// than the speed-up is worth (measured in Benchmarks/RESULTS.md, `train --thread-choice`).
    public static let largeBagInstances = 4096

    static func modelConfiguration(_ options: TrainingOptions, hierarchy: Hierarchy, featureDim: Int) throws -> ModelConfiguration {
        if options.model == .abmil {
            return .abmil(ABMILOptions(featureDim: featureDim, classes: hierarchy.fineCount, dropout: options.dropout))
        }
        var model = HMILOptions(featureDim: featureDim, coarseClasses: hierarchy.coarseCount, fineClasses: hierarchy.fineCount,
                                scorer: options.effectiveScorer, embedding: options.effectiveEmbedding,
                                dropout: options.dropout)
        if let gate = options.coarseGate { model.coarseGate = gate }
        if let prior = options.finePrior { model.finePrior = prior }
        if let weight = options.finePriorWeight, model.finePrior != .none { model.finePriorWeight = weight }
        if model.usesHierarchy { model.fineParents = hierarchy.parentIndex }
        return .hmil(model)
    }

    /// The options as deterministic JSON (checkpoint metadata, resume check).
    public var optionsJSON: String {
        String(decoding: try! DocumentIO.encode(options), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - The run

    /// Trains to the end (or early stop) and returns the fold's model record. With `resume`, continues
    /// from the last completed epoch in `folder`; the result equals an uninterrupted run's.
    public func run(resume: Bool) throws -> ModelRecord {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // One process per fold folder, also across the nodes of a cluster (FolderLock).
        let lock = try FolderLock(folder: folder, tool: tool, warn: { if !self.quiet { StandardError.write($0 + "\n") } })
        defer { lock.release() }
        removeLeftovers(keepingEpoch: nil)
        var state = TrainingState(fold: data.fold, completedEpochs: 0, bestEpoch: nil, bestValue: nil, staleEpochs: 0,
                                  scheduler: scheduler.state, history: [], finished: false, options: optionsJSON)
        if resume, let saved = try TrainingState.load(from: folder) {
            guard saved.options == optionsJSON else {
                throw ToolError("the run in this folder used other options", at: TrainingState.path(in: folder),
                                hint: "resume with the same options, or train into a new --out folder")
            }
            state = saved
            if state.completedEpochs > 0 {
                let e = state.completedEpochs - 1
                try Checkpoint.load(path: TrainingState.weightsPath(in: folder, epoch: e), into: model)
                try optimizer.restore(try OptimizerStateFile.load(from: TrainingState.optimizerPath(in: folder, epoch: e)),
                                      source: TrainingState.optimizerPath(in: folder, epoch: e))
                try scheduler.restore(state.scheduler, source: TrainingState.path(in: folder))
                model.prepare()
            }
            if !quiet, !state.finished {
                StandardError.write("\(tool): fold \(data.fold): resuming at epoch \(state.completedEpochs)\n")
            }
        }

        let progress = Progress(tool: tool, label: "fold \(data.fold) training", total: options.epochs * data.train.count,
                                unit: "bags", quiet: quiet)
        progress.skip(state.completedEpochs * data.train.count)
        var warnedSelection = false
        var cpuMark = ProcessCPUTime.seconds()
        while !state.finished && state.completedEpochs < options.epochs {
            let epoch = state.completedEpochs
            let started = Date()
            let train = try trainEpoch(epoch: epoch, progress: progress)
            let val = try validate(epoch: epoch)
            scheduler.step(metric: train["total"]!, optimizer: optimizer)

            var selection = selectionValue(val)
            if options.selectionMetric == .last {
                // The last epoch is kept; validation is still computed for the history.
                selection = Double(epoch)
            } else if data.val.count == 0 {
                // No validation part: the latest epoch is the one kept.
                if !warnedSelection && !quiet {
                    StandardError.write("\(tool): warning: fold \(data.fold) has no validation part; keeping the last epoch\n")
                }
                warnedSelection = true
                selection = Double(epoch)
            } else if selection == nil {
                if !warnedSelection && !quiet {
                    StandardError.write("\(tool): warning: \(options.selectionMetric.rawValue) is undefined on fold \(data.fold)'s validation part; selecting by validation loss\n")
                }
                warnedSelection = true
                selection = val["loss"].flatMap { $0.isFinite ? -$0 : nil }
            }
            let schedule = objective.schedule(epoch: epoch)
            state.history.append(EpochRecord(epoch: epoch, lr: optimizer.learningRate, alpha: schedule.alpha,
                                             tau: schedule.temperature, train: train, val: val,
                                             seconds: Date().timeIntervalSince(started)))
            // Ties of the selection metric go to the lower validation loss, then the earlier epoch.
            if let value = selection, CheckpointSelection.improves(value: value, loss: val["loss"], over: state.best) {
                state.bestValue = value
                state.bestEpoch = epoch
                state.staleEpochs = 0
                try Checkpoint.save(model, metadata: metadata(epoch: epoch), to: bestPath)
            } else {
                state.staleEpochs += 1
            }

            // Commit the epoch: weights, optimizer, then the state that names them.
            try Checkpoint.save(model, metadata: metadata(epoch: epoch), to: TrainingState.weightsPath(in: folder, epoch: epoch))
            try OptimizerStateFile.save(optimizer.state(), to: TrainingState.optimizerPath(in: folder, epoch: epoch))
            state.completedEpochs = epoch + 1
            state.scheduler = scheduler.state
            if options.earlyStoppingPatience > 0 && state.staleEpochs >= options.earlyStoppingPatience {
                state.finished = true
                if !quiet {
                    StandardError.write("\(tool): fold \(data.fold): early stop after epoch \(epoch): \(options.selectionMetric.rawValue) did not improve for \(state.staleEpochs) epochs\n")
                }
            }
            if state.completedEpochs == options.epochs { state.finished = true }
            let cpuNow = ProcessCPUTime.seconds()
            state.cpuSeconds = (state.cpuSeconds ?? 0) + (cpuNow - cpuMark)
            cpuMark = cpuNow
            try state.save(in: folder)
            try TrainingHistory.write(state.history, to: folder)
            removeLeftovers(keepingEpoch: epoch)
        }
        progress.finish(note: state.bestEpoch.map { "best epoch \($0)" } ?? "")
        let bestRecord = state.history.first { $0.epoch == state.bestEpoch }
        return ModelRecord(fold: data.fold, checkpoint: bestPath, bestEpoch: state.bestEpoch ?? 0,
                           val: bestRecord?.val ?? [:], cpuSeconds: state.cpuSeconds)
    }

    public var bestPath: String { folder + "/best.safetensors" }

    /// Removes what a killed run can leave behind: temporary files of interrupted atomic writes and
    /// epoch files other than `keepingEpoch`'s (an earlier epoch's, if the run died between committing
    /// state.json and deleting them; a later one's, if it died before committing it). With nil, only
    /// the temporary files (the epoch state.json names must stay until the first epoch is committed).
    private func removeLeftovers(keepingEpoch: Int?) {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let kept = keepingEpoch.map { [TrainingState.weightsPath(in: "", epoch: $0), TrainingState.optimizerPath(in: "", epoch: $0)] }
        for name in files {
            let temporary = name.hasPrefix(".") && name.contains(".tmp-")
            let staleEpoch = kept.map { name.hasPrefix("epoch-") && name.hasSuffix(".safetensors") && !$0.contains("/" + name) } ?? false
            if temporary || staleEpoch { try? FileManager.default.removeItem(atPath: folder + "/" + name) }
        }
    }

    private func metadata(epoch: Int) -> CheckpointMetadata {
        CheckpointMetadata(hierarchy: hierarchy, trainingConfig: optionsJSON, epoch: epoch)
    }

    /// The selection metric, larger is better; nil when undefined or not finite (a NaN kept as the
    /// best value would make every later comparison false).
    private func selectionValue(_ val: [String: Double]) -> Double? {
        let value: Double?
        switch options.selectionMetric {
        case .valLoss: value = val["loss"].map { -$0 }
        case .valFineAccuracy: value = val["fine_accuracy"]
        case .valCoarseAUC: value = val["coarse_auc"]
        case .valFineAUC, .last: value = val["fine_auc"]
        }
        return value.flatMap { $0.isFinite ? $0 : nil }
    }

    // MARK: - One epoch

    private func trainEpoch(epoch: Int, progress: Progress) throws -> [String: Double] {
        let plan = EpochPlan(labels: data.train.fineLabels, options: options, fold: data.fold, epoch: epoch)
        var sums = LossTerms()
        var total = 0.0
        var position = 0
        for (b, batch) in plan.batches.enumerated() {
            let loss = try trainBatch(batch, index: b, epoch: epoch, firstPosition: position)
            position += batch.count
            total += loss.total
            sums.coarse += loss.terms.coarse; sums.fine += loss.terms.fine
            sums.bagAlignment += loss.terms.bagAlignment; sums.attention += loss.terms.attention
            sums.contrastive += loss.terms.contrastive
            progress.advance(by: batch.count, note: String(format: "epoch %d loss %.4f", epoch, loss.total))
        }
        let n = Double(plan.batches.count)
        return ["total": total / n, "coarse": sums.coarse / n, "fine": sums.fine / n, "bag_alignment": sums.bagAlignment / n,
                "attention": sums.attention / n, "contrastive": sums.contrastive / n]
    }

    /// A bag of the training part as trained on this epoch (a random instance subset with --max-instances).
    private func trainingBag(_ index: Int, epoch: Int) throws -> Bag {
        let bag = try bags.bag(data.train.slideIDs[index])
        guard bag.instanceCount > 0 else { throw ToolError("bag has no instances", at: "slide \(bag.slideID)") }
        guard let subset = EpochPlan.instanceSubset(instanceCount: bag.instanceCount, options: options, fold: data.fold,
                                                    epoch: epoch, bag: index) else { return bag }
        let d = bag.featureDim
        var features = [Float](repeating: 0, count: subset.count * d)
        for (r, i) in subset.enumerated() {
            features.withUnsafeMutableBufferPointer { dst in
                bag.features.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + r * d).update(from: src.baseAddress! + i * d, count: d)
                }
            }
        }
        return Bag(slideID: bag.slideID, instanceCount: subset.count, featureDim: d, features: features)
    }

    /// Where one sweep over a batch gets its bags: with one worker, read one ahead on a background
    /// thread (so decompression overlaps the multi-threaded BLAS work); with several, each worker
    /// reads its own bags inline. `items` are the batch positions the sweep visits, in order.
    private func bagLoader(_ batch: [Int], items: [Int], epoch: Int) -> (Int) throws -> Bag {
        guard workers == 1 else { return { try self.trainingBag(batch[$0], epoch: epoch) } }
        let trainer = UnsafeSendable(self)
        let ahead = ReadAhead(items: items) { i in try trainer.value.trainingBag(batch[i], epoch: epoch) }
        return { try ahead.bag(for: $0) }
    }

    private func seedDropout(_ workspace: Workspace, epoch: Int, position: Int) {
        guard options.dropout else { return }
        workspace.dropoutGenerator = SeededGenerator(
            seed: options.seed, stream: EpochPlan.stream(fold: data.fold, epoch: epoch, purpose: 3) &+ UInt64(position) << 24)
    }

    private struct BatchResult {
        var total: Double
        var terms: LossTerms
    }

    /// Stops the run when a batch's loss or gradient is not finite, before the optimizer step, so no
    /// weights derived from it are ever written: the files of the last completed epoch stay as they are.
    private func nonFinite(_ what: String, epoch: Int, batch: Int) -> ToolError {
        ToolError("\(what) at epoch \(epoch), batch \(batch)", at: "fold \(data.fold)",
                  hint: "lower --lr or clip gradients (--clip-grad-norm); the last good checkpoint is kept in \(folder)")
    }

    private func trainBatch(_ batch: [Int], index: Int, epoch: Int, firstPosition: Int) throws -> BatchResult {
        let count = batch.count
        let contrastive = objective.hasBatchTerm(epoch: epoch) || alwaysTwoPasses
        for g in gradients { g.zero() }
        var losses = [BagLoss?](repeating: nil, count: count)
        var contrastiveValue = 0.0, contrastiveWeighted = 0.0

        if !contrastive {
            let load = bagLoader(batch, items: Array(0 ..< count), epoch: epoch)
            try losses.withUnsafeMutableBufferPointer { slots in
                let slots = UnsafeSendable(slots)
                try parallelItems(workers: workers, count: count) { w, i in
                    let bag = try load(i)
                    let ws = workerSpaces[w]
                    seedDropout(ws, epoch: epoch, position: firstPosition + i)
                    let out = model.forward(features: bag.features, instanceCount: bag.instanceCount, workspace: ws)
                    let loss = objective.bagLoss(out, fineLabel: data.train.fineLabels[batch[i]], epoch: epoch, batchSize: count)
                    model.backward(loss.gradient, workspace: ws, into: gradients[w])
                    slots.value[i] = loss
                }
            }
            forwardPasses += count
        } else {
            // Pass 1: every bag's output (z above all); bags that fit the budget keep their activations.
            let sizes = batch.map { min(bags.instanceCount(of: data.train.slideIDs[$0]), options.maxInstances > 0 ? options.maxInstances : .max) }
            var kept = [Bool](repeating: false, count: count)
            var planned = 0
            for i in 0 ..< count {
                let bytes = sizes[i] * bytesPerInstance
                if planned + bytes <= memoryBudget { kept[i] = true; planned += bytes }
            }
            // Fresh workspaces for the kept bags, dropped with the batch: what stays allocated between
            // batches is the workers' spaces only, whatever sizes earlier batches kept.
            let cachedSpaces = kept.map { $0 ? Workspace() : nil }
            var outputs = [BagOutput?](repeating: nil, count: count)
            var observed = [Int](repeating: 0, count: count)
            let load = bagLoader(batch, items: Array(0 ..< count), epoch: epoch)
            try outputs.withUnsafeMutableBufferPointer { slots in
                try observed.withUnsafeMutableBufferPointer { perBag in
                    let slots = UnsafeSendable(slots), perBag = UnsafeSendable(perBag)
                    try parallelItems(workers: workers, count: count) { w, i in
                        let bag = try load(i)
                        let ws = cachedSpaces[i] ?? workerSpaces[w]
                        seedDropout(ws, epoch: epoch, position: firstPosition + i)
                        slots.value[i] = model.forward(features: bag.features, instanceCount: bag.instanceCount, workspace: ws)
                        // A fresh workspace holds exactly this bag's activations (a reused one may be larger).
                        if kept[i] { perBag.value[i] = ws.bytesAllocated / max(1, bag.instanceCount) + 4 * bag.featureDim }
                    }
                }
            }
            bytesPerInstance = max(bytesPerInstance, observed.max() ?? 0)
            let labels = batch.map { data.train.fineLabels[$0] }
            let con = objective.contrastiveLoss(embeddings: outputs.map { $0!.embedding }, width: outputs[0]!.embeddingWidth,
                                                fineLabels: labels, epoch: epoch)
            contrastiveValue = con.value
            contrastiveWeighted = con.weighted

            // Pass 2: each bag's loss and backward, recomputing the forward of bags not kept.
            let reload = bagLoader(batch, items: (0 ..< count).filter { cachedSpaces[$0] == nil }, epoch: epoch)
            try losses.withUnsafeMutableBufferPointer { slots in
                let slots = UnsafeSendable(slots)
                try parallelItems(workers: workers, count: count) { w, i in
                    var out = outputs[i]!
                    let ws: Workspace
                    if let cached = cachedSpaces[i] {
                        ws = cached
                    } else {
                        ws = workerSpaces[w]
                        let bag = try reload(i)
                        seedDropout(ws, epoch: epoch, position: firstPosition + i)
                        out = model.forward(features: bag.features, instanceCount: bag.instanceCount, workspace: ws)
                    }
                    let loss = objective.bagLoss(out, fineLabel: labels[i], epoch: epoch, batchSize: count,
                                                 contrastiveGradient: con.embeddingGradients[i])
                    model.backward(loss.gradient, workspace: ws, into: gradients[w])
                    slots.value[i] = loss
                }
            }
            forwardPasses += count + cachedSpaces.filter { $0 == nil }.count
        }

        var terms = LossTerms(contrastive: contrastiveValue)
        var total = contrastiveWeighted
        let share = 1 / Double(count)
        for loss in losses {
            let l = loss!
            terms.coarse += l.terms.coarse * share
            terms.fine += l.terms.fine * share
            terms.bagAlignment += l.terms.bagAlignment * share
            terms.attention += l.terms.attention * share
            total += l.weighted
        }
        guard total.isFinite else { throw nonFinite("loss is \(total)", epoch: epoch, batch: index) }
        model.parameters.zeroGradients()
        model.addGradients(gradients)
        let norm = options.clipGradNorm > 0
            ? GradientClipping.clipGlobalNorm(model.parameters, maxNorm: options.clipGradNorm)
            : GradientClipping.globalNorm(model.parameters)
        guard norm.isFinite else { throw nonFinite("gradient norm is \(norm)", epoch: epoch, batch: index) }
        optimizer.step()
        model.prepare()
        return BatchResult(total: total, terms: terms)
    }

    // MARK: - Validation

    /// Validation loss (per-bag terms; the batch-level contrastive term is left out) and metrics.
    private func validate(epoch: Int) throws -> [String: Double] {
        guard data.val.count > 0 else { return [:] }
        let predictor = Predictor(model: model, bags: bags, workers: workers)
        let predictions = try predictor.predict(data.val.slideIDs, keepOutputs: true)
        var loss = 0.0
        for (i, p) in predictions.enumerated() {
            loss += objective.bagLoss(p.output!, fineLabel: data.val.fineLabels[i], epoch: epoch, batchSize: 1).weighted
        }
        var result: [String: Double] = ["loss": loss / Double(predictions.count)]
        let fine = LevelPredictions(classes: hierarchy.fine, slideIDs: data.val.slideIDs, labels: data.val.fineLabels,
                                    probabilities: predictions.flatMap(\.fineProbabilities))
        let fineScores = LevelScorer(fine).scores()
        result["fine_accuracy"] = fineScores.values[.accuracy]
        result["fine_auc"] = fineScores.values[.aucMacro]
        let parents = hierarchy.parentIndex
        let coarseLabels = data.val.fineLabels.map { parents[$0] }
        let coarseProbabilities: [Double] = predictions.flatMap { p in
            p.coarseProbabilities ?? FineToCoarse.probabilities(fineLogits: p.output!.fineLogits, parents: parents, coarseCount: hierarchy.coarseCount)
        }
        let coarse = LevelPredictions(classes: hierarchy.coarse, slideIDs: data.val.slideIDs, labels: coarseLabels,
                                      probabilities: coarseProbabilities)
        let coarseScores = LevelScorer(coarse).scores()
        result["coarse_accuracy"] = coarseScores.values[.accuracy]
        result["coarse_auc"] = coarseScores.values[.aucMacro]
        return result
    }
}
