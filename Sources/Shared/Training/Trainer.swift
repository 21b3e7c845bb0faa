import Foundation

/// Trains one fold (DESIGN §4, "Training as released"): per epoch the seeded batches of bags, each
/// bag its own forward pass, the objective over the batch, one optimizer step per batch; then
/// validation, ReduceLROnPlateau on the epoch's mean training loss, the checkpoint with the best
/// validation metric kept, and a resumable state written atomically.
///
/// Memory: a batch-level term (supervised contrastive) needs every bag's z before any bag's
/// gradient is known. Bags whose activations fit `memoryBudget` keep them (in an `ActivationPool`
/// kept for the whole run) from the forward to the backward, so a batch that fits is one pass (its
/// bags are read again for the backward, which is cheaper than holding their features); the others
/// are recomputed (a second forward) in pass two. Peak memory stays near model + budget + a bag
/// in flight per worker (`workerCount`; with one worker, plus the bag read ahead), whatever batch
/// size × bag size: workers beyond the first are charged to the budget. An epoch whose effective
/// contrastive weight w_con·(1 − α) is 0 (epoch 0, or `--weight-contrastive 0`) is one pass anyway.
/// Which bags are kept changes no result: the weights are byte-identical for every budget.
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
    /// Bytes of activations kept from the forward of a batch to its backward in epochs with a
    /// batch-level term (the kept bags' features are read again for the backward, not held); 0
    /// recomputes every bag in a second pass.
    public let memoryBudget: Int
    /// The default budget: a quarter of `MachineMemory.limit` (physical memory, or the cgroup's limit
    /// when lower), so a few folds trained side by side on one machine still fit.
    public static var defaultMemoryBudget: Int { MachineMemory.limit / 4 }
    /// Training forward passes of bags so far: one per bag, plus one per bag recomputed in pass two
    /// of an epoch with a batch-level term (`Objective.hasBatchTerm`) because it did not fit the budget.
    public private(set) var forwardPasses = 0
    /// Run the batch-term path (forward of every bag, SupCon, then the backward of every bag) in every
    /// epoch, even where the batch-level gradient is zero (tests and benchmarks: it shows the bag-by-bag
    /// path gives the same weights, and what it saves).
    public var alwaysTwoPasses = false
    /// The most bytes the kept activations held at once (`ActivationPool.bytesHeld` after a batch).
    public private(set) var peakKeptBytes = 0
    /// Workspaces the kept activations live in: made once, reused by every later batch and epoch.
    public var keptWorkspaces: Int { pool.workspaceCount }
    private let quiet: Bool
    private let tool: String

    private let workerSpaces: [Workspace]
    private let gradients: [GradientBuffer]
    private let pool: ActivationPool

    public init(
        document: PipelineDocument, source: String, options: TrainingOptions, fold: Int, folder: String,
        bags: BagSource, initCheckpoint: String? = nil, memoryBudget: Int = Trainer.defaultMemoryBudget, quiet: Bool = false,
        tool: String = "hmil-train", workers requestedWorkers: Int? = nil
    ) throws {
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
            optimizer = SGD(
                parameters: model.parameters, learningRate: options.lr, momentum: options.momentum,
                weightDecay: options.weightDecay)
        case .adam:
            optimizer = Adam(parameters: model.parameters, learningRate: options.lr, weightDecay: options.weightDecay)
        }
        scheduler = ReduceLROnPlateau(mode: .min, factor: options.lrFactor, patience: options.lrPatience)

        // Bags in parallel, one BLAS thread each, as many as a batch has bags (`workerCount`); the
        // extra workers' bags in flight are charged to the memory budget, the rest is the activation
        // pool's. `workers` (benchmarks) overrides the choice; BLAS then gets the threads left per worker.
        let threads = options.threads > 0 ? options.threads : ProcessInfo.processInfo.activeProcessorCount
        let cap = options.maxInstances > 0 ? options.maxInstances : Int.max
        let sizes = data.train.slideIDs.map { min(bags.instanceCount(of: $0), cap) }
        let meanInstances = sizes.reduce(0, +) / max(1, sizes.count)
        let workerCount =
            requestedWorkers.map { max(1, min($0, threads)) }
            ?? Trainer.workerCount(threads: threads, meanInstances: meanInstances, batchSize: options.batchSize)
        workers = workerCount
        BLAS.threadCount = max(1, threads / workerCount)
        workerSpaces = (0..<workerCount).map { _ in Workspace() }
        // A fold small enough (bags.memoryLimit) is decoded once per run instead of once per epoch.
        bags.keepInMemory(data.train.slideIDs + data.val.slideIDs)
        let built = model
        gradients = (0..<workerCount).map { _ in built.makeGradientBuffer() }
        let inFlight = Trainer.bytesInFlight(instances: sizes.max() ?? 0, featureDim: bags.featureDim)
        pool = ActivationPool(budget: max(0, memoryBudget - (workerCount - 1) * inFlight))
    }

    /// Below this mean bag size (instances) every thread is a worker whatever the batch size: BLAS on
    /// several threads does not pay on such small products.
    public static let largeBagInstances = 4096

    /// Bags trained at once, each worker with `threads / workers` BLAS threads. Bags in parallel are
    /// faster than one bag on every BLAS thread at every size (Benchmarks/RESULTS.md, `train
    /// --thread-choice`: the 256-wide products and the element-wise work do not split well over BLAS
    /// threads, and threads wait at every product's end), so large bags (mean ≥ `largeBagInstances`)
    /// get as many workers as a batch has bags, and BLAS the threads left: batch 1, one bag on every
    /// thread. Depends on neither the memory budget nor the machine's memory, so the weights do not
    /// either (the worker count sets the order gradients are summed in).
    public static func workerCount(threads: Int, meanInstances: Int, batchSize: Int) -> Int {
        guard meanInstances >= largeBagInstances else { return max(1, threads) }
        return max(1, min(threads, batchSize))
    }

    /// Bytes a worker holds for a bag of `instances`: its decoded f32 features and its activations (at
    /// `ActivationPool.bytesPerInstanceBound`, above what either model keeps). Each worker beyond the
    /// first is charged this for the fold's largest bag against the memory budget.
    public static func bytesInFlight(instances: Int, featureDim: Int) -> Int {
        instances * (ActivationPool.bytesPerInstanceBound + 4 * featureDim)
    }

    static func modelConfiguration(_ options: TrainingOptions, hierarchy: Hierarchy, featureDim: Int) throws -> ModelConfiguration {
        if options.model == .abmil {
            return .abmil(ABMILOptions(featureDim: featureDim, classes: hierarchy.fineCount, dropout: options.dropout))
        }
        var model = HMILOptions(
            featureDim: featureDim, coarseClasses: hierarchy.coarseCount, fineClasses: hierarchy.fineCount,
            scorer: options.effectiveScorer, embedding: options.effectiveEmbedding,
            dropout: options.dropout)
        if let gate = options.coarseGate { model.coarseGate = gate }
        if let prior = options.finePrior { model.finePrior = prior }
        if let weight = options.finePriorWeight, model.finePrior != .none { model.finePriorWeight = weight }
        if model.usesHierarchy { model.fineParents = hierarchy.parentIndex }
        return .hmil(model)
    }

    /// The options as deterministic JSON (checkpoint metadata, resume check); encoded once.
    public private(set) lazy var optionsJSON: String =
        String(decoding: try! DocumentIO.encode(options), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)

    // MARK: - The run

    /// Trains to the end (or early stop) and returns the fold's model record. With `resume`, continues
    /// from the last completed epoch in `folder`; the result equals an uninterrupted run's.
    public func run(resume: Bool) throws -> ModelRecord {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // One process per fold folder, also across the nodes of a cluster (FolderLock).
        let lock = try FolderLock(folder: folder, tool: tool, warn: { if !self.quiet { StandardError.write($0 + "\n") } })
        defer { lock.release() }
        // Declared after the lock's defer, so it runs first: no commit is still writing once the lock is released.
        let committer = EpochCommitter(folder: folder)
        defer { try? committer.finish() }
        EpochCommitter.removeLeftovers(in: folder, keepingEpoch: nil)
        var state = try startingState(resume: resume)

        let progress = Progress(
            tool: tool, label: "fold \(data.fold) training", total: options.epochs * data.train.count,
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
            let selection = selectionValue(val, epoch: epoch, warned: &warnedSelection)
            let schedule = objective.schedule(epoch: epoch)
            state.history.append(
                EpochRecord(
                    epoch: epoch, lr: optimizer.learningRate, alpha: schedule.alpha,
                    tau: schedule.temperature, train: train, val: val,
                    seconds: Date().timeIntervalSince(started)))
            let kept = keepIfBest(&state, selection: selection, val: val, epoch: epoch)
            let cpuNow = ProcessCPUTime.seconds()
            state.cpuSeconds = (state.cpuSeconds ?? 0) + (cpuNow - cpuMark)
            cpuMark = cpuNow
            try commitEpoch(&state, epoch: epoch, kept: kept, committer: committer)
        }
        try committer.finish()
        progress.finish(note: state.bestEpoch.map { "best epoch \($0)" } ?? "")
        let bestRecord = state.history.first { $0.epoch == state.bestEpoch }
        return ModelRecord(
            fold: data.fold, checkpoint: bestPath, bestEpoch: state.bestEpoch ?? 0,
            val: bestRecord?.val ?? [:], cpuSeconds: state.cpuSeconds)
    }

    /// A fresh state, or with `resume` the one saved in `folder`, with the model, optimizer and
    /// scheduler restored to its last completed epoch.
    private func startingState(resume: Bool) throws -> TrainingState {
        let fresh = TrainingState(
            fold: data.fold, completedEpochs: 0, bestEpoch: nil, bestValue: nil, staleEpochs: 0,
            scheduler: scheduler.state, history: [], finished: false, options: optionsJSON)
        guard resume, let state = try TrainingState.load(from: folder) else { return fresh }
        guard state.options == optionsJSON else {
            throw ToolError(
                "the run in this folder used other options", at: TrainingState.path(in: folder),
                hint: "resume with the same options, or train into a new --out folder")
        }
        if state.completedEpochs > 0 {
            let e = state.completedEpochs - 1
            try Checkpoint.load(path: TrainingState.weightsPath(in: folder, epoch: e), into: model)
            try optimizer.restore(
                try OptimizerStateFile.load(from: TrainingState.optimizerPath(in: folder, epoch: e)),
                source: TrainingState.optimizerPath(in: folder, epoch: e))
            try scheduler.restore(state.scheduler, source: TrainingState.path(in: folder))
            model.prepare()
            // The history files are not synced (EpochCommitter): rebuild them from the committed state.
            try TrainingHistory.write(state.history, to: folder, durable: false)
            EpochCommitter.removeLeftovers(in: folder, keepingEpoch: e)
        }
        if !quiet, !state.finished {
            StandardError.write("\(tool): fold \(data.fold): resuming at epoch \(state.completedEpochs)\n")
        }
        return state
    }

    /// Ties of the selection metric go to the lower validation loss, then the earlier epoch. Returns
    /// whether this epoch becomes the kept (best) checkpoint.
    private func keepIfBest(_ state: inout TrainingState, selection: Double?, val: [String: Double], epoch: Int) -> Bool {
        guard let value = selection, CheckpointSelection.improves(value: value, loss: val["loss"], over: state.best) else {
            state.staleEpochs += 1
            return false
        }
        state.bestValue = value
        state.bestEpoch = epoch
        state.staleEpochs = 0
        return true
    }

    /// Commits the epoch (weights, best when kept, optimizer, then the state that names them) on the
    /// committer's thread while the next epoch trains.
    private func commitEpoch(_ state: inout TrainingState, epoch: Int, kept: Bool, committer: EpochCommitter) throws {
        state.completedEpochs = epoch + 1
        state.scheduler = scheduler.state
        if options.earlyStoppingPatience > 0 && state.staleEpochs >= options.earlyStoppingPatience {
            state.finished = true
            if !quiet {
                StandardError.write(
                    "\(tool): fold \(data.fold): early stop after epoch \(epoch): \(options.selectionMetric.rawValue) did not improve for \(state.staleEpochs) epochs\n"
                )
            }
        }
        if state.completedEpochs == options.epochs { state.finished = true }
        try committer.commit(
            EpochCommitter.Epoch(
                epoch: epoch, weights: Checkpoint.encode(model, metadata: metadata(epoch: epoch)),
                optimizer: OptimizerStateFile.encode(optimizer.state()), state: state, kept: kept))
    }

    public var bestPath: String { TrainingState.bestPath(in: folder) }

    private func metadata(epoch: Int) -> CheckpointMetadata {
        CheckpointMetadata(hierarchy: hierarchy, trainingConfig: optionsJSON, epoch: epoch)
    }

    /// The epoch's selection value, larger is better: the selection metric; with `last`, or without a
    /// validation part, the epoch itself (the latest is kept; validation is still recorded); where the
    /// metric is undefined, minus the validation loss (warning once per run).
    private func selectionValue(_ val: [String: Double], epoch: Int, warned: inout Bool) -> Double? {
        if options.selectionMetric == .last { return Double(epoch) }
        if data.val.count == 0 {
            if !warned && !quiet {
                StandardError.write("\(tool): warning: fold \(data.fold) has no validation part; keeping the last epoch\n")
            }
            warned = true
            return Double(epoch)
        }
        if let value = metricValue(val) { return value }
        if !warned && !quiet {
            StandardError.write(
                "\(tool): warning: \(options.selectionMetric.rawValue) is undefined on fold \(data.fold)'s validation part; selecting by validation loss\n"
            )
        }
        warned = true
        return val["loss"].flatMap { $0.isFinite ? -$0 : nil }
    }

    /// The selection metric, larger is better; nil when undefined or not finite (a NaN kept as the
    /// best value would make every later comparison false).
    private func metricValue(_ val: [String: Double]) -> Double? {
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
            sums.coarse += loss.terms.coarse
            sums.fine += loss.terms.fine
            sums.bagAlignment += loss.terms.bagAlignment
            sums.attention += loss.terms.attention
            sums.contrastive += loss.terms.contrastive
            progress.advance(by: batch.count, note: String(format: "epoch %d loss %.4f", epoch, loss.total))
        }
        let n = Double(plan.batches.count)
        return [
            "total": total / n, "coarse": sums.coarse / n, "fine": sums.fine / n, "bag_alignment": sums.bagAlignment / n,
            "attention": sums.attention / n, "contrastive": sums.contrastive / n
        ]
    }

    /// A bag of the training part as trained on this epoch (a random instance subset with --max-instances).
    private func trainingBag(_ index: Int, epoch: Int) throws -> Bag {
        let bag = try bags.bag(data.train.slideIDs[index])
        guard bag.instanceCount > 0 else { throw ToolError("bag has no instances", at: "slide \(bag.slideID)") }
        guard
            let subset = EpochPlan.instanceSubset(
                instanceCount: bag.instanceCount, options: options, fold: data.fold,
                epoch: epoch, bag: index)
        else { return bag }
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

    /// A batch's loss: the terms as batch means, the total as the objective's weighted sum.
    private struct BatchResult {
        var total: Double
        var terms: LossTerms

        init(losses: [BagLoss], contrastive: ContrastiveLoss?) {
            terms = LossTerms(contrastive: contrastive?.value ?? 0)
            total = contrastive?.weighted ?? 0
            let share = 1 / Double(losses.count)
            for l in losses {
                terms.coarse += l.terms.coarse * share
                terms.fine += l.terms.fine * share
                terms.bagAlignment += l.terms.bagAlignment * share
                terms.attention += l.terms.attention * share
                total += l.weighted
            }
        }
    }

    /// Stops the run when a batch's loss or gradient is not finite, before the optimizer step, so no
    /// weights derived from it are ever written: the files of the last completed epoch stay as they are.
    private func nonFinite(_ what: String, epoch: Int, batch: Int) -> ToolError {
        ToolError(
            "\(what) at epoch \(epoch), batch \(batch)", at: "fold \(data.fold)",
            hint: "lower --lr or clip gradients (--clip-grad-norm); the last good checkpoint is kept in \(folder)")
    }

    private func trainBatch(_ batch: [Int], index: Int, epoch: Int, firstPosition: Int) throws -> BatchResult {
        // Only the workers parallelItems runs take part (a batch smaller than the worker count leaves
        // some idle): their buffers are zeroed and summed, the others would add only zeros.
        let active = Array(gradients.prefix(max(1, min(workers, batch.count))))
        for g in active { g.zero() }
        let result =
            objective.hasBatchTerm(epoch: epoch) || alwaysTwoPasses
            ? try batchTermBatch(batch, epoch: epoch, firstPosition: firstPosition)
            : try bagByBagBatch(batch, epoch: epoch, firstPosition: firstPosition)
        guard result.total.isFinite else { throw nonFinite("loss is \(result.total)", epoch: epoch, batch: index) }
        try applyStep(active, epoch: epoch, batch: index)
        return result
    }

    /// Without a batch-level term each bag's gradient follows from its own forward: forward, loss and
    /// backward bag by bag, in the workers' workspaces.
    private func bagByBagBatch(_ batch: [Int], epoch: Int, firstPosition: Int) throws -> BatchResult {
        let count = batch.count
        let load = bagLoader(batch, items: Array(0..<count), epoch: epoch)
        let losses = try parallelMap(workers: workers, count: count) { w, i in
            let bag = try load(i)
            let ws = workerSpaces[w]
            seedDropout(ws, epoch: epoch, position: firstPosition + i)
            let out = model.forward(features: bag.features, instanceCount: bag.instanceCount, workspace: ws)
            let loss = objective.bagLoss(out, fineLabel: data.train.fineLabels[batch[i]], epoch: epoch, batchSize: count)
            model.backward(loss.gradient, workspace: ws, into: gradients[w])
            return loss
        }
        forwardPasses += count
        return BatchResult(losses: losses, contrastive: nil)
    }

    /// With a batch-level term (SupCon needs every bag's z): pass 1, every bag's forward, bags the
    /// pool has room for keeping their activations; SupCon on the batch's z; pass 2, each bag's loss
    /// and backward, from its kept activations or after recomputing its forward. A batch that fits
    /// the budget is one pass.
    private func batchTermBatch(_ batch: [Int], epoch: Int, firstPosition: Int) throws -> BatchResult {
        let count = batch.count
        let cap = options.maxInstances > 0 ? options.maxInstances : Int.max
        let sizes = batch.map { min(bags.instanceCount(of: data.train.slideIDs[$0]), cap) }
        let kept = pool.plan(sizes: sizes)
        let load = bagLoader(batch, items: Array(0..<count), epoch: epoch)
        let outputs = try parallelMap(workers: workers, count: count) { w, i in
            let bag = try load(i)
            let ws = kept[i] ?? workerSpaces[w]
            seedDropout(ws, epoch: epoch, position: firstPosition + i)
            let out = model.forward(features: bag.features, instanceCount: bag.instanceCount, workspace: ws)
            // A kept bag's features are read again for its backward rather than held: they would
            // weigh two thirds as much as its activations (4 kB per instance at D 1024 against HMIL's 6 kB).
            kept[i]?.setFeaturesAside()
            return out
        }
        let labels = batch.map { data.train.fineLabels[$0] }
        let con = objective.contrastiveLoss(
            embeddings: outputs.map(\.embedding), width: outputs[0].embeddingWidth,
            fineLabels: labels, epoch: epoch)

        let reload = bagLoader(batch, items: Array(0..<count), epoch: epoch)
        let losses = try parallelMap(workers: workers, count: count) { w, i in
            var out = outputs[i]
            let bag = try reload(i)
            let ws = kept[i] ?? workerSpaces[w]
            if kept[i] == nil {
                seedDropout(ws, epoch: epoch, position: firstPosition + i)
                out = model.forward(features: bag.features, instanceCount: bag.instanceCount, workspace: ws)
            } else {
                ws.restoreFeatures(bag.features)
            }
            let loss = objective.bagLoss(
                out, fineLabel: labels[i], epoch: epoch, batchSize: count,
                contrastiveGradient: con.embeddingGradients[i])
            model.backward(loss.gradient, workspace: ws, into: gradients[w])
            return loss
        }
        pool.observe(sizes: sizes, kept: kept)
        peakKeptBytes = max(peakKeptBytes, pool.bytesHeld)
        forwardPasses += count + kept.filter { $0 == nil }.count
        return BatchResult(losses: losses, contrastive: con)
    }

    /// Sums the active workers' gradients onto the parameters, clips, steps the optimizer and
    /// snapshots the new weights; a non-finite gradient stops the run before the step.
    private func applyStep(_ active: [GradientBuffer], epoch: Int, batch: Int) throws {
        model.setGradients(active)
        // Without clipping only finiteness matters: the norm is summed only to name a bad value.
        let norm =
            options.clipGradNorm > 0
            ? GradientClipping.clipGlobalNorm(model.parameters, maxNorm: options.clipGradNorm)
            : (GradientClipping.allFinite(model.parameters) ? 0 : GradientClipping.globalNorm(model.parameters))
        guard norm.isFinite else { throw nonFinite("gradient norm is \(norm)", epoch: epoch, batch: batch) }
        optimizer.step()
        model.prepare()
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
        let fine = LevelPredictions(
            classes: hierarchy.fine, slideIDs: data.val.slideIDs, labels: data.val.fineLabels,
            probabilities: predictions.flatMap(\.fineProbabilities))
        let fineScores = LevelScorer(fine).scores()
        result["fine_accuracy"] = fineScores.values[.accuracy]
        result["fine_auc"] = fineScores.values[.aucMacro]
        let parents = hierarchy.parentIndex
        let coarseLabels = data.val.fineLabels.map { parents[$0] }
        let coarseProbabilities: [Double] = predictions.flatMap { p in
            p.coarseProbabilities
                ?? FineToCoarse.probabilities(fineLogits: p.output!.fineLogits, parents: parents, coarseCount: hierarchy.coarseCount)
        }
        let coarse = LevelPredictions(
            classes: hierarchy.coarse, slideIDs: data.val.slideIDs, labels: coarseLabels,
            probabilities: coarseProbabilities)
        let coarseScores = LevelScorer(coarse).scores()
        result["coarse_accuracy"] = coarseScores.values[.accuracy]
        result["coarse_auc"] = coarseScores.values[.aucMacro]
        return result
    }
}
