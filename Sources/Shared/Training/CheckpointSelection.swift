/// Which epoch's checkpoint a run keeps (`hmil-train --selection-metric`): the best validation metric;
/// when an epoch ties the best so far, the one with the lower validation loss; on equal loss, the
/// earlier epoch.
///
/// Why the loss breaks ties: on small validation parts the ranking metrics saturate. With ten
/// validation bags the fine AUC often reaches 1.0 after the first epoch, and keeping the first epoch
/// that reaches the maximum keeps a barely trained model (a flat MIL benchmark kept epoch 0 on most
/// of its folds). Among epochs that rank the validation bags equally well, the lower loss is the one
/// that separates them with more margin. A missing or non-finite loss counts as +∞, so it never wins a tie.
public enum CheckpointSelection {
    /// The kept epoch's numbers: the selection value (larger is better) and its validation loss.
    public struct Best: Equatable, Sendable {
        public var value: Double
        public var loss: Double?

        public init(value: Double, loss: Double?) {
            self.value = value
            self.loss = loss
        }
    }

    /// Whether an epoch with selection `value` (larger is better, finite) and validation `loss`
    /// replaces `best` (nil: nothing kept yet).
    public static func improves(value: Double, loss: Double?, over best: Best?) -> Bool {
        guard let best else { return true }
        if value != best.value { return value > best.value }
        return rank(loss) < rank(best.loss)
    }

    private static func rank(_ loss: Double?) -> Double {
        guard let loss, loss.isFinite else { return .infinity }
        return loss
    }
}
