import Shared

/// One garment in a bag: which pooled Fashion-MNIST image, and whether it decides the bag's label.
struct DemoInstance: Equatable {
    var image: Int
    var isKey: Bool
}

/// One bag (a "slide"): its ids, fine label and garments in grid order.
struct DemoBag: Equatable {
    var slideID: String
    var caseID: String
    var label: String
    var instances: [DemoInstance]
}

/// Draws the demo's bags from a seed. Everything random comes from one SeededGenerator in a fixed order
/// (shuffled pools, then per class and bag: size, key count, garments, order; then cases; then bag order),
/// so a seed fixes the data set on every machine. Key images are used at most once: they are taken from
/// the front of one shuffled pool per key class. Background images too, from one shared shuffled pool,
/// unless the task reuses background: then each bag draws its background afresh from the whole pool
/// (a partial Fisher–Yates shuffle), so an image may serve several bags but never twice in one.
struct BagPlan {
    let task: DemoTask
    let bags: [DemoBag]

    init(task: DemoTask, settings: DemoSettings, images: FashionMNIST) throws {
        self.task = task
        var rng = SeededGenerator(seed: settings.seed)
        let hierarchy = task.hierarchy

        // Sizes and key counts first, so the image budget is checked before anything is drawn.
        let shapes = BagPlan.drawShapes(task: task, settings: settings, rng: &rng)

        var backgroundPool = task.backgroundClasses.flatMap(images.images(ofClass:))
        rng.shuffle(&backgroundPool)
        if task.reusesBackground {
            let largest = shapes.joined().map { $0.size - $0.keys }.max() ?? 0
            guard largest <= backgroundPool.count else {
                throw ToolError(
                    "a bag needs \(largest) background garments but Fashion-MNIST has \(backgroundPool.count) "
                        + "(an image is used at most once in a bag)", hint: "use a smaller --max-instances")
            }
        } else {
            let backgroundNeeded = shapes.joined().reduce(0) { $0 + $1.size - $1.keys }
            guard backgroundNeeded <= backgroundPool.count else {
                throw ToolError(
                    "\(settings.bagsPerClass) bags per class need \(backgroundNeeded) background garments "
                        + "but Fashion-MNIST has \(backgroundPool.count) (each image is used once)",
                    hint:
                        "use --bags-per-class \(BagPlan.largestBagsPerClass(task: task, settings: settings, backgroundImages: backgroundPool.count)) (the most that fit with this seed), or smaller bags"
                )
            }
        }

        var drawnBackground = 0
        var bagsByClass: [[DemoBag]] = []
        for (classIndex, label) in hierarchy.fine.enumerated() {
            var keyPool: [Int] = []
            if let keyClass = task.keyClass(ofFineLabel: label) {
                keyPool = images.images(ofClass: keyClass)
                rng.shuffle(&keyPool)
                let keysNeeded = shapes[classIndex].reduce(0) { $0 + $1.keys }
                guard keysNeeded <= keyPool.count else {
                    throw ToolError(
                        "\(settings.bagsPerClass) bags of '\(label)' need \(keysNeeded) key garments "
                            + "but Fashion-MNIST has \(keyPool.count)", hint: "use fewer bags per class")
                }
            }
            var drawnKeys = 0
            var bags: [DemoBag] = []
            for shape in shapes[classIndex] {
                var instances: [DemoInstance] = []
                instances.reserveCapacity(shape.size)
                for _ in 0..<shape.keys {
                    instances.append(DemoInstance(image: keyPool[drawnKeys], isKey: true))
                    drawnKeys += 1
                }
                if task.reusesBackground {
                    // The first size − keys places of the pool become a uniform draw without replacement.
                    for place in 0..<shape.size - shape.keys {
                        backgroundPool.swapAt(place, place + rng.below(backgroundPool.count - place))
                        instances.append(DemoInstance(image: backgroundPool[place], isKey: false))
                    }
                } else {
                    for _ in shape.keys..<shape.size {
                        instances.append(DemoInstance(image: backgroundPool[drawnBackground], isKey: false))
                        drawnBackground += 1
                    }
                }
                rng.shuffle(&instances)
                bags.append(DemoBag(slideID: "", caseID: "", label: label, instances: instances))
            }
            bagsByClass.append(bags)
        }

        // Cases: consecutive bags of one class, 1…maxSlidesPerCase each (a patient's slides share a label).
        var caseOfBag: [[Int]] = []
        var caseCount = 0
        for bags in bagsByClass {
            var cases: [Int] = []
            while cases.count < bags.count {
                let slides = min(1 + rng.below(settings.maxSlidesPerCase), bags.count - cases.count)
                cases += Array(repeating: caseCount, count: slides)
                caseCount += 1
            }
            caseOfBag.append(cases)
        }

        // Bag order mixes the classes, so ids say nothing about labels; ids are numbered in that order.
        var order: [(classIndex: Int, bag: Int)] = []
        for (classIndex, bags) in bagsByClass.enumerated() {
            order += bags.indices.map { (classIndex, $0) }
        }
        rng.shuffle(&order)
        var caseNames: [Int: String] = [:]
        let slideDigits = String(order.count - 1).count
        let caseDigits = String(caseCount - 1).count
        bags = order.enumerated().map { position, entry in
            var bag = bagsByClass[entry.classIndex][entry.bag]
            let caseNumber = caseOfBag[entry.classIndex][entry.bag]
            if caseNames[caseNumber] == nil {
                caseNames[caseNumber] = "case_" + BagPlan.padded(caseNames.count, to: caseDigits)
            }
            bag.slideID = "slide_" + BagPlan.padded(position, to: slideDigits)
            bag.caseID = caseNames[caseNumber]!
            return bag
        }
    }

    /// Per fine class and bag: instance count and key garment count, drawn in that order.
    private static func drawShapes(task: DemoTask, settings: DemoSettings, rng: inout SeededGenerator) -> [[(size: Int, keys: Int)]] {
        task.hierarchy.fine.map { label in
            (0..<settings.bagsPerClass).map { _ in
                let size = settings.instances.lowerBound + rng.below(settings.instances.count)
                var keys = 0
                if task.keyClass(ofFineLabel: label) != nil {
                    let range = settings.keyCountRange(instances: size)!
                    keys = range.lowerBound + rng.below(range.count)
                }
                return (size, keys)
            }
        }
    }

    /// The most bags per class whose drawn sizes fit in `backgroundImages`, for the error's hint
    /// (sizes depend on the count, so it is found by drawing, from the estimate by the mean downwards).
    private static func largestBagsPerClass(task: DemoTask, settings: DemoSettings, backgroundImages: Int) -> Int {
        var candidate = settings
        while candidate.bagsPerClass > 1 {
            var rng = SeededGenerator(seed: settings.seed)
            let needed = drawShapes(task: task, settings: candidate, rng: &rng).joined().reduce(0) { $0 + $1.size - $1.keys }
            if needed <= backgroundImages { break }
            candidate.bagsPerClass -= 1
        }
        return candidate.bagsPerClass
    }

    var instanceCount: Int { bags.reduce(0) { $0 + $1.instances.count } }
    var keyCount: Int { bags.reduce(0) { $0 + $1.instances.filter(\.isKey).count } }

    private static func padded(_ value: Int, to digits: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

extension SeededGenerator {
    /// Uniform in 0..<bound, without modulo bias (rejection), the same on every platform and Swift version
    /// (unlike `Int.random(in:using:)` and `shuffle(using:)`, whose algorithms the standard library may change).
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        let limit = UInt64.max - UInt64.max % b
        while true {
            let x = next()
            if x < limit { return Int(x % b) }
        }
    }

    /// Fisher–Yates with `below`, for a shuffle fixed by the seed alone.
    mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, below(i + 1))
        }
    }
}
