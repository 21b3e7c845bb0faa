/// hmil's own cross-validation (`--scheme kfold`, DESIGN §2.3): K disjoint test parts that together
/// cover every patient once, stratified by fine label and grouped by patient, plus a validation part
/// carved from each fold's training patients.
///
/// Test parts: each class's patients are shuffled with the seed, ordered by slide count (largest
/// first, so big patients are spread before small ones fill the gaps) and dealt into folds. Class c
/// gives every fold ⌊n_c/K⌋ patients and `n_c mod K` folds one more; which folds get the extra ones
/// rotates from class to class, so fold sizes differ by at most one patient in total. Within its quota,
/// a patient goes to the fold with the fewest slides of its class so far (then fewest slides overall).
///
/// Validation: per class, `round(n_train_c · valFrac)` (half to even, as numpy) of the fold's training
/// patients, drawn with a generator of its own per fold; at least one training patient of a class is
/// always left for training.
public enum KFoldSplitter {
    public struct Options: Sendable {
        public var folds: Int
        public var seed: UInt64
        public var valFrac: Double
        public var allowSmallClasses: Bool

        public init(folds: Int = 10, seed: UInt64 = 1, valFrac: Double = 0.1, allowSmallClasses: Bool = false) {
            self.folds = folds
            self.seed = seed
            self.valFrac = valFrac
            self.allowSmallClasses = allowSmallClasses
        }
    }

    /// Folds as slide indices into `table.slides` (each part in file order), and any warnings.
    public static func split(_ table: PatientTable, classes: [String], options: Options, source: String) throws
        -> (folds: [[[Int]]], warnings: [String])
    {
        let k = options.folds
        precondition(k >= 2, "kfold needs at least two folds")
        var warnings: [String] = []
        var generator = SeededGenerator(seed: options.seed)
        let byClass = table.patientsByClass(classes: classes.count)
        for (c, members) in byClass.enumerated() where members.count < k {
            let what = "class '\(classes[c])' has \(members.count) patient\(members.count == 1 ? "" : "s"), fewer than the \(k) folds"
            guard options.allowSmallClasses else {
                throw ToolError(
                    what, at: source,
                    hint: "use fewer --folds, or --allow-small-classes to accept test parts without this class")
            }
            warnings.append(what + "; some test parts will have none")
        }

        // Test parts.
        var testFold = [Int](repeating: -1, count: table.patients.count)
        var foldSlides = [Int](repeating: 0, count: k)
        var extraStart = 0
        for members in byClass where !members.isEmpty {
            var order = members
            shuffle(&order, with: &generator)
            let slideCount = { (p: Int) in table.patients[p].slides.count }
            order = order.enumerated().sorted { a, b in
                slideCount(a.element) != slideCount(b.element) ? slideCount(a.element) > slideCount(b.element) : a.offset < b.offset
            }.map(\.element)

            var quota = [Int](repeating: order.count / k, count: k)
            let extra = order.count % k
            for t in 0..<extra { quota[(extraStart + t) % k] += 1 }
            extraStart = (extraStart + extra) % k

            var classSlides = [Int](repeating: 0, count: k)
            for p in order {
                var best = -1
                for f in 0..<k where quota[f] > 0 {
                    if best < 0 || (classSlides[f], foldSlides[f]) < (classSlides[best], foldSlides[best]) { best = f }
                }
                testFold[p] = best
                quota[best] -= 1
                classSlides[best] += slideCount(p)
                foldSlides[best] += slideCount(p)
            }
        }

        // Validation parts, and the slides of every part.
        var folds: [[[Int]]] = []
        for f in 0..<k {
            var valGenerator = SeededGenerator(seed: options.seed, stream: UInt64(f) + 1)
            var part = [Int](repeating: 0, count: table.patients.count)  // 0 train, 1 val, 2 test
            for (p, fold) in testFold.enumerated() where fold == f { part[p] = 2 }
            for members in byClass {
                var training = members.filter { part[$0] == 0 }
                let wanted = (Double(training.count) * options.valFrac).rounded(.toNearestOrEven)
                let count = min(Int(wanted), max(training.count - 1, 0))
                guard count > 0 else { continue }
                shuffle(&training, with: &valGenerator)
                for p in training.prefix(count) { part[p] = 1 }
            }
            var parts: [[Int]] = [[], [], []]
            for (i, p) in table.patientOfSlide.enumerated() { parts[part[p]].append(i) }
            folds.append(parts)
        }
        return (folds, warnings)
    }

    /// Fisher–Yates with the project's generator; written out so the result does not depend on the
    /// standard library's shuffle algorithm.
    static func shuffle(_ items: inout [Int], with generator: inout SeededGenerator) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, through: 1, by: -1) {
            items.swapAt(i, bounded(UInt64(i + 1), &generator))
        }
    }

    /// Uniform in `0 ..< bound` (Lemire's multiply-and-reject).
    static func bounded(_ bound: UInt64, _ generator: inout SeededGenerator) -> Int {
        let threshold = (0 &- bound) % bound
        while true {
            let product = generator.next().multipliedFullWidth(by: bound)
            if product.low >= threshold { return Int(product.high) }
        }
    }
}
