/// The scalar metrics of every level (DESIGN §5). The raw value is the metric's name, as reports spell it.
public enum ScalarMetric: String, CaseIterable, Sendable {
    case accuracy
    case balancedAccuracy = "balanced_accuracy"
    case precisionMacro = "precision_macro"
    case recallMacro = "recall_macro"
    case f1Macro = "f1_macro"
    case precisionWeighted = "precision_weighted"
    case recallWeighted = "recall_weighted"
    case f1Weighted = "f1_weighted"
    case aucMacro = "auc_macro"
    case kappaQuadratic = "kappa_quadratic"
}
