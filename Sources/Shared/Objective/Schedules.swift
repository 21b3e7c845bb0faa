import Foundation

/// The curriculum weight α(e) of DESIGN §4: the coarse cross-entropy is weighted α and the
/// contrastive term 1 − α, so training moves from coarse supervision towards fine-grained contrast.
/// Epochs count from 0; with e < E, α falls from 1 towards 0 (never reaching it).
public enum CurriculumSchedule: String, Codable, Equatable, Sendable, CaseIterable {
    /// α(e) = 1 − (e/E)², as released (`trainer.py`: `alpha = 1 - (epoch / cfg.num_epochs)**2`).
    case quadratic
    /// α(e) = 1 − e/E.
    case linear

    public func alpha(epoch: Int, epochCount: Int) -> Double {
        precondition(epochCount > 0, "epochCount must be positive")
        let t = Double(epoch) / Double(epochCount)
        switch self {
        case .quadratic: return 1 - t * t
        case .linear: return 1 - t
        }
    }
}

/// The contrastive temperature τ(e) = (high − low)·(1 + cos(2πe/E))/2 + low, as released
/// (`compute_temperature`: low 0.1, high 1.0). One full cosine period over the run: τ starts at
/// `high`, reaches `low` at E/2 and climbs back towards `high`.
public struct TemperatureSchedule: Codable, Equatable, Sendable {
    public var low: Double
    public var high: Double

    public init(low: Double = 0.1, high: Double = 1.0) {
        self.low = low
        self.high = high
    }

    public func temperature(epoch: Int, epochCount: Int) -> Double {
        precondition(epochCount > 0, "epochCount must be positive")
        let phase = 2 * Double.pi * Double(epoch) / Double(epochCount)
        return (high - low) * (1 + cos(phase)) / 2 + low
    }
}
