import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Progress on stderr (DESIGN §1): a live bar with rate and ETA on a terminal, a plain line every
/// few seconds otherwise, nothing when quiet. Not thread-safe: call from one thread.
public final class Progress {
    public enum Mode { case bar, lines, quiet }

    private let tool: String
    private let label: String
    private let total: Int
    private let unit: String
    private let mode: Mode
    private let start = Date()
    private var lastPrint = Date.distantPast
    private let lineInterval: TimeInterval
    public private(set) var done = 0
    /// Work done before this run started (a resumed run), left out of the rate.
    private var skipped = 0

    public init(
        tool: String, label: String, total: Int, unit: String = "", quiet: Bool = false,
        lineInterval: TimeInterval = 5
    ) {
        self.tool = tool
        self.label = label
        self.total = total
        self.unit = unit
        self.lineInterval = lineInterval
        mode = quiet ? .quiet : (StandardError.isTerminal ? .bar : .lines)
    }

    /// Advances by `count` and redraws when due; `note` is shown after the counts (e.g. the loss).
    public func advance(by count: Int = 1, note: String = "") {
        done += count
        let now = Date()
        let interval = mode == .bar ? 0.1 : lineInterval
        if now.timeIntervalSince(lastPrint) >= interval || done == total {
            lastPrint = now
            draw(note: note, now: now)
        }
    }

    /// Counts work finished by an earlier run (e.g. resumed epochs) without counting it in the rate.
    public func skip(_ count: Int) {
        done += count
        skipped += count
    }

    /// Ends the bar with a summary line.
    public func finish(note: String = "") {
        guard mode != .quiet else { return }
        let seconds = Date().timeIntervalSince(start)
        let line =
            "\(tool): \(label) \(done)/\(total)\(unit.isEmpty ? "" : " " + unit) in \(Progress.format(seconds))"
            + (note.isEmpty ? "" : "  " + note)
        StandardError.write(mode == .bar ? "\r\u{1B}[K" + line + "\n" : line + "\n")
    }

    private func draw(note: String, now: Date) {
        guard mode != .quiet else { return }
        let seconds = max(now.timeIntervalSince(start), 1e-9)
        let rate = Double(done - skipped) / seconds
        let eta = rate > 0 && total > done ? Double(total - done) / rate : 0
        let counts = "\(done)/\(total)\(unit.isEmpty ? "" : " " + unit)"
        let stats = String(format: "%.1f/s  ETA %@", rate, Progress.format(eta))
        switch mode {
        case .bar:
            let width = 24
            let filled = total > 0 ? min(width, done * width / total) : 0
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            StandardError.write("\r\u{1B}[K\(tool): \(label) [\(bar)] \(counts) \(stats)\(note.isEmpty ? "" : "  " + note)")
        case .lines:
            StandardError.write("\(tool): \(label) \(counts) \(stats)\(note.isEmpty ? "" : "  " + note)\n")
        case .quiet:
            break
        }
    }

    static func format(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return String(format: "%.1fs", seconds) }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
    }
}
