/// The objective a run trains with: the preset (ABMIL: the flat objective), then the overrides given.
extension TrainingOptions {
    /// Overrides of weights the chosen objective does not use (e.g. `weight_coarse` with ABMIL) are
    /// recorded but change nothing; sibling smoothing applies to both models.
    public var objectiveConfig: ObjectiveConfig {
        var config = model == "abmil" ? ObjectiveConfig.flat : (ObjectiveConfig.preset(named: preset) ?? .hmil)
        if let w = weightAttention { config.attentionWeight = w }
        if let form = bagAlignment { config.bagAlignment = ObjectiveConfig.BagAlignmentForm(rawValue: form) ?? config.bagAlignment }
        if let c = curriculum { config.curriculum = CurriculumSchedule(rawValue: c) ?? config.curriculum }
        if let w = weightContrastive { config.contrastiveWeight = w }
        if let w = weightCoarse { config.coarseWeight = w }
        if let w = weightBag { config.bagAlignmentWeight = w }
        if let e = siblingSmoothing { config.siblingSmoothing = e }
        return config
    }
}
