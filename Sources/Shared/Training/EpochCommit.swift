import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes what a completed epoch leaves in a fold's folder, on a background thread, so the next epoch
/// trains meanwhile: for a small model the syncs of these files took as long as the epoch (issue 12).
///
/// Order on disk (what `--resume` relies on): the epoch's weights `epoch-<e>.safetensors`; when the epoch
/// is the one kept, `best.safetensors` as a hard link to those weights (the same bytes, written once; a
/// copy where the file system has no hard links); the optimizer state; then `state.json`, the commit
/// point, which names them. Each is replaced atomically and synced before the next. Then, not synced
/// (they are rebuilt from state.json's history when a run resumes), history.jsonl and history.csv; last,
/// the previous epoch's files are removed. A run killed at any moment leaves a state.json that names a
/// complete set of files; an epoch whose commit had not reached state.json is trained again on resume,
/// to the same bytes.
///
/// At most one commit is in flight: `commit` first waits for the one before and rethrows its error;
/// `finish()` waits for the last (before the folder's lock is released, or the result is reported).
final class EpochCommitter: @unchecked Sendable {
    struct Epoch: Sendable {
        var epoch: Int
        /// Checkpoint bytes of the epoch's weights (snapshotted on the training thread).
        var weights: Data
        /// Optimizer state file bytes.
        var optimizer: Data
        var state: TrainingState
        /// The epoch is the kept one: best.safetensors becomes its weights.
        var kept: Bool
    }

    let folder: String
    private let queue = DispatchQueue(label: "hmil.epoch-commit")
    private let group = DispatchGroup()
    /// Written on the queue, read after `group.wait()`.
    private var failure: Error?

    init(folder: String) {
        self.folder = folder
    }

    func commit(_ epoch: Epoch) throws {
        try finish()
        queue.async(group: group) { [self] in
            do { try write(epoch) } catch { failure = error }
        }
    }

    /// Waits for the commit in flight, if any, and rethrows its error.
    func finish() throws {
        group.wait()
        if let error = failure {
            failure = nil
            throw error
        }
    }

    var bestPath: String { TrainingState.bestPath(in: folder) }

    private func write(_ e: Epoch) throws {
        let weightsPath = TrainingState.weightsPath(in: folder, epoch: e.epoch)
        try AtomicFile.write(e.weights, to: weightsPath)
        if e.kept { try linkBest(to: weightsPath, bytes: e.weights) }
        try AtomicFile.write(e.optimizer, to: TrainingState.optimizerPath(in: folder, epoch: e.epoch))
        try AtomicFile.write(try DocumentIO.encode(e.state), to: TrainingState.path(in: folder))
        try TrainingHistory.write(e.state.history, to: folder, durable: false)
        Self.removeLeftovers(in: folder, keepingEpoch: e.epoch)
    }

    /// best.safetensors ← the file at `weightsPath` (synced already), atomically: a hard link under a
    /// temporary name renamed over it. Nothing writes into either file afterwards (every write replaces a
    /// file by renaming), so the two names keep the same bytes while both exist.
    private func linkBest(to weightsPath: String, bytes: Data) throws {
        let temporary = folder + "/.best.safetensors.tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        if link(weightsPath, temporary) == 0 {
            if rename(temporary, bestPath) == 0 { return }
            unlink(temporary)
        }
        try AtomicFile.write(bytes, to: bestPath)
    }

    /// Removes what a killed run can leave behind: temporary files of interrupted atomic writes and
    /// epoch files other than `keepingEpoch`'s (an earlier epoch's, if the run died between committing
    /// state.json and deleting them; a later one's, if it died before committing it). With nil, only
    /// the temporary files (the epoch state.json names must stay until the first epoch is committed).
    static func removeLeftovers(in folder: String, keepingEpoch: Int?) {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let kept = keepingEpoch.map { [TrainingState.weightsPath(in: "", epoch: $0), TrainingState.optimizerPath(in: "", epoch: $0)] }
        for name in files {
            let temporary = name.hasPrefix(".") && name.contains(".tmp-")
            let staleEpoch = kept.map { name.hasPrefix("epoch-") && name.hasSuffix(".safetensors") && !$0.contains("/" + name) } ?? false
            if temporary || staleEpoch { try? FileManager.default.removeItem(atPath: folder + "/" + name) }
        }
    }
}
