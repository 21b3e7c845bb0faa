import Shared

/// What a demo data set is drawn from: counts, ranges and the seed. The defaults here are the garments
/// task's; each task has its own (DemoTask.defaults), and `--small` its tiny CI version.
struct DemoSettings: Equatable {
    var bagsPerClass = 60
    /// Instances per bag, drawn uniformly in this range.
    var instances = 32...96
    /// Share of key garments in a bag that is not `normal`, drawn uniformly in this range
    /// (as a count between ⌈min·N⌉ and ⌊max·N⌋, so the share is always inside it).
    var keyShare: ClosedRange<Double> = 0.05...0.20
    /// Bags of one class are grouped into cases (patients) of 1…this many slides.
    var maxSlidesPerCase = 2
    var seed: UInt64 = 1

    func validate() throws {
        guard bagsPerClass >= 1 else {
            throw ToolError("--bags-per-class must be at least 1")
        }
        guard instances.lowerBound >= 1, instances.upperBound <= 10_000 else {
            throw ToolError("instances per bag must lie in 1…10000, got \(instances)")
        }
        guard keyShare.lowerBound > 0, keyShare.upperBound < 1 else {
            throw ToolError("key share must lie strictly between 0 and 1, got \(keyShare)")
        }
        for n in instances {
            guard keyCountRange(instances: n) != nil else {
                throw ToolError(
                    "a bag of \(n) instances cannot hold a key share in \(keyShare)",
                    hint: "widen the key share range or raise --min-instances")
            }
        }
        guard maxSlidesPerCase >= 1 else {
            throw ToolError("--max-slides-per-case must be at least 1")
        }
    }

    /// Key garment counts allowed in a bag of `instances`: ⌈min·N⌉ … ⌊max·N⌋, at least 1.
    func keyCountRange(instances n: Int) -> ClosedRange<Int>? {
        let low = max(1, Int((keyShare.lowerBound * Double(n)).rounded(.up)))
        let high = Int((keyShare.upperBound * Double(n)).rounded(.down))
        return low <= high ? low...high : nil
    }
}
