/// The values of the objective's terms (DESIGN §4), unweighted. For a batch each is the mean over its
/// bags (L_con: as released, see `SupervisedContrastiveLoss`); for one bag, that bag's value.
public struct LossTerms: Codable, Equatable, Sendable {
    public var coarse: Double = 0
    public var fine: Double = 0
    public var bagAlignment: Double = 0
    public var attention: Double = 0
    public var contrastive: Double = 0

    public init(
        coarse: Double = 0, fine: Double = 0, bagAlignment: Double = 0, attention: Double = 0,
        contrastive: Double = 0
    ) {
        self.coarse = coarse
        self.fine = fine
        self.bagAlignment = bagAlignment
        self.attention = attention
        self.contrastive = contrastive
    }

    enum CodingKeys: String, CodingKey {
        case coarse, fine, attention, contrastive
        case bagAlignment = "bag_alignment"
    }
}

/// The schedule's values at one epoch.
public struct ScheduleValues: Codable, Equatable, Sendable {
    /// Curriculum weight α: L_c is weighted α, L_con 1 − α.
    public var alpha: Double
    /// Contrastive temperature τ.
    public var temperature: Double
}

/// One bag's share of a batch loss: everything except the contrastive term, which couples bags.
public struct BagLoss: Sendable {
    /// This bag's unweighted terms (`contrastive` is 0).
    public var terms: LossTerms
    /// This bag's contribution to the batch total: Σ weight·term / B.
    public var weighted: Double
    /// ∂(weighted)/∂(each output field), plus the contrastive gradient if one was passed in.
    public var gradient: BagOutputGradient
}

/// The contrastive term of a batch.
public struct ContrastiveLoss: Sendable {
    /// L_con, unweighted.
    public var value: Double
    /// w_con·(1 − α)·L_con: its contribution to the total.
    public var weighted: Double
    /// ∂(weighted)/∂z for each bag, [Kf, E].
    public var embeddingGradients: [[Float]]
}

/// The whole objective of one batch.
public struct BatchLoss: Sendable {
    public var total: Double
    public var terms: LossTerms
    public var schedule: ScheduleValues
    /// ∂total/∂(each output field), one per bag in batch order.
    public var gradients: [BagOutputGradient]
}

/// The training objective of DESIGN §4 over a hierarchy π (fine → coarse) and a run of E epochs.
///
/// Two ways to use it:
/// - `batchLoss(outputs, fineLabels, epoch)` when the whole batch's outputs are in memory;
/// - bag by bag, when the trainer recomputes each bag's forward pass to save memory: first
///   `contrastiveLoss` on every bag's z, then for each bag `bagLoss(..., contrastiveGradient:)`,
///   whose gradient is then exactly that bag's slice of `batchLoss`'s. In an epoch without a
///   batch-level term (`hasBatchTerm` false: w_con·(1 − α) = 0), `bagLoss` alone gives that slice.
///
/// The π given is used by the flat objective too, for sibling label smoothing of L_f.
///
/// L_c, L_f, L_bag and L_att are means over the B bags, so a bag's share of their gradient carries
/// the factor 1/B; `batchSize` says what B is.
public struct Objective: Sendable {
    public let config: ObjectiveConfig
    /// π: `parents[j]` is the coarse class of fine class j.
    public let parents: [Int]
    public let coarseCount: Int
    /// E, the number of epochs of the run (the schedules' period).
    public let epochCount: Int

    public init(config: ObjectiveConfig, parents: [Int], coarseCount: Int, epochCount: Int) {
        precondition(epochCount > 0, "epochCount must be positive")
        precondition(parents.allSatisfy { (0..<coarseCount).contains($0) }, "parent index outside \(coarseCount) coarse classes")
        self.config = config
        self.parents = parents
        self.coarseCount = coarseCount
        self.epochCount = epochCount
    }

    /// π from a validated hierarchy.
    public init(config: ObjectiveConfig, hierarchy: Hierarchy, epochCount: Int) {
        self.init(
            config: config, parents: hierarchy.parentIndex, coarseCount: hierarchy.coarseCount,
            epochCount: epochCount)
    }

    public func schedule(epoch: Int) -> ScheduleValues {
        ScheduleValues(
            alpha: config.curriculum.alpha(epoch: epoch, epochCount: epochCount),
            temperature: config.temperature.temperature(epoch: epoch, epochCount: epochCount))
    }

    /// Weights of (L_c, L_f, L_bag, L_att, L_con) at an epoch.
    public func weights(epoch: Int) -> LossTerms {
        let alpha = schedule(epoch: epoch).alpha
        switch config.kind {
        case .flat:
            return LossTerms(fine: config.fineWeight)
        case .hierarchical:
            return LossTerms(
                coarse: config.coarseWeight * alpha, fine: config.fineWeight,
                bagAlignment: config.bagAlignmentWeight, attention: config.attentionWeight,
                contrastive: config.contrastiveWeight * (1 - alpha))
        }
    }

    /// Whether the epoch's objective has a batch-level term, i.e. a non-zero effective contrastive
    /// weight w_con·(1 − α). Without one, each bag's gradient is known from its own forward pass
    /// (`bagLoss` alone), so a trainer needs one pass per bag instead of two.
    public func hasBatchTerm(epoch: Int) -> Bool {
        config.kind == .hierarchical && weights(epoch: epoch).contrastive != 0
    }

    /// One bag's per-bag terms and its share of the batch gradient. `contrastiveGradient` (this bag's
    /// slice of `contrastiveLoss(...).embeddingGradients`) is added to the embedding gradient.
    public func bagLoss(
        _ output: BagOutput, fineLabel: Int, epoch: Int, batchSize: Int,
        contrastiveGradient: [Float]? = nil
    ) -> BagLoss {
        precondition(batchSize > 0, "batchSize must be positive")
        precondition(output.fineLogits.indices.contains(fineLabel), "fine label \(fineLabel) outside \(output.fineLogits.count) classes")
        let w = weights(epoch: epoch)
        let share = 1 / Double(batchSize)
        var terms = LossTerms()
        var gradient = BagOutputGradient(zeroLike: output)

        let fine =
            config.siblingSmoothing > 0
            ? SiblingLabelSmoothing.evaluate(
                logits: output.fineLogits, label: fineLabel, parents: parents,
                epsilon: config.siblingSmoothing)
            : CrossEntropyLoss.evaluate(logits: output.fineLogits, label: fineLabel)
        terms.fine = fine.value
        var fineLogitGradient = fine.gradient.map { $0 * w.fine }

        if config.kind == .hierarchical {
            precondition(
                output.fineLogits.count == parents.count, "\(output.fineLogits.count) fine logits for \(parents.count) fine classes")
            precondition(
                output.coarseLogits.count == coarseCount, "\(output.coarseLogits.count) coarse logits for \(coarseCount) coarse classes")
            let coarseLabel = parents[fineLabel]

            let coarse = CrossEntropyLoss.evaluate(logits: output.coarseLogits, label: coarseLabel)
            terms.coarse = coarse.value
            gradient.coarseLogits = coarse.gradient.map { Float($0 * w.coarse * share) }

            let bag = BagAlignmentLoss.evaluate(
                fineLogits: output.fineLogits, coarseLabel: coarseLabel,
                parents: parents, coarseCount: coarseCount, form: config.bagAlignment)
            terms.bagAlignment = bag.value
            for j in fineLogitGradient.indices { fineLogitGradient[j] += bag.gradient[j] * w.bagAlignment }

            let att = AttentionMatchingLoss.evaluate(
                coarseAttention: output.coarseAttention, fineAttention: output.fineAttention,
                instanceCount: output.instanceCount, parents: parents, coarseCount: coarseCount)
            terms.attention = att.value
            if w.attention != 0 {
                let scale = w.attention * share
                gradient.coarseAttention = att.coarseGradient.map { Float($0 * scale) }
                gradient.fineAttention = att.fineGradient.map { Float($0 * scale) }
            }
        }
        gradient.fineLogits = fineLogitGradient.map { Float($0 * share) }

        if let contrastiveGradient {
            precondition(
                contrastiveGradient.count == gradient.embedding.count,
                "contrastive gradient has \(contrastiveGradient.count) values for an embedding of \(gradient.embedding.count)")
            gradient.embedding = contrastiveGradient
        }
        let weighted =
            share
            * (w.coarse * terms.coarse + w.fine * terms.fine + w.bagAlignment * terms.bagAlignment
                + w.attention * terms.attention)
        return BagLoss(terms: terms, weighted: weighted, gradient: gradient)
    }

    /// L_con over the batch: `embeddings[b]` is bag b's z [Kf, E], `fineLabels[b]` its label.
    /// The flat objective has no contrastive term (value 0, zero gradients).
    public func contrastiveLoss(embeddings: [[Float]], width: Int, fineLabels: [Int], epoch: Int) -> ContrastiveLoss {
        guard config.kind == .hierarchical else {
            return ContrastiveLoss(
                value: 0, weighted: 0,
                embeddingGradients: embeddings.map { [Float](repeating: 0, count: $0.count) })
        }
        let s = schedule(epoch: epoch)
        let weight = weights(epoch: epoch).contrastive
        let result = SupervisedContrastiveLoss.evaluate(
            embeddings: embeddings, width: width, labels: fineLabels, temperature: s.temperature,
            baseTemperature: config.baseTemperature, dividedByBatchSize: config.contrastiveDividedByBatchSize)
        return ContrastiveLoss(
            value: result.value, weighted: weight * result.value,
            embeddingGradients: result.gradients.map { $0.map { Float($0 * weight) } })
    }

    /// Total, terms (batch means) and per-bag gradients of one batch.
    public func batchLoss(_ outputs: [BagOutput], fineLabels: [Int], epoch: Int) -> BatchLoss {
        precondition(!outputs.isEmpty, "a batch needs at least one bag")
        precondition(outputs.count == fineLabels.count, "\(fineLabels.count) labels for \(outputs.count) bags")
        var contrastive: ContrastiveLoss?
        if config.kind == .hierarchical {
            contrastive = contrastiveLoss(
                embeddings: outputs.map(\.embedding), width: outputs[0].embeddingWidth,
                fineLabels: fineLabels, epoch: epoch)
        }
        var terms = LossTerms(contrastive: contrastive?.value ?? 0)
        var total = contrastive?.weighted ?? 0
        var gradients: [BagOutputGradient] = []
        gradients.reserveCapacity(outputs.count)
        let share = 1 / Double(outputs.count)
        for (b, output) in outputs.enumerated() {
            let bag = bagLoss(
                output, fineLabel: fineLabels[b], epoch: epoch, batchSize: outputs.count,
                contrastiveGradient: contrastive?.embeddingGradients[b])
            terms.coarse += bag.terms.coarse * share
            terms.fine += bag.terms.fine * share
            terms.bagAlignment += bag.terms.bagAlignment * share
            terms.attention += bag.terms.attention * share
            total += bag.weighted
            gradients.append(bag.gradient)
        }
        return BatchLoss(total: total, terms: terms, schedule: schedule(epoch: epoch), gradients: gradients)
    }
}
