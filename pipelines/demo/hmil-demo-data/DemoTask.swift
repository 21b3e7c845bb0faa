import ArgumentParser
import Shared

/// The hierarchical tasks the demo builds from Fashion-MNIST (`--task`). In both, a bag is mostly
/// background garments and a few key garments of its fine class decide its label; a `normal` bag has
/// background only. Fine classes within a coarse class differ subtly (a shirt from a T-shirt).
enum DemoTaskName: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// Shaped like BRACS (3 coarse, 7 fine classes): 32–96 garments a bag, 5–20 % of them key.
    case garments
    /// Like small lesions on a slide (3 coarse, 9 fine classes): 100–300 garments a bag, 1–5 % key,
    /// four fine classes under each abnormal coarse class.
    case lesions
}

/// One task: its hierarchy, which Fashion-MNIST classes are background, and the builder's defaults.
struct DemoTask: Sendable {
    let name: DemoTaskName
    /// The hierarchy written to `hierarchy.json` (DESIGN §2.1); the order fixes class indices. Every
    /// fine label but `normal` is the Fashion-MNIST class of its key garments.
    let hierarchy: Hierarchy
    /// Fashion-MNIST classes that fill the bags and decide nothing.
    let backgroundClasses: [Int]
    /// Whether a background image may appear in several bags (never twice in one). Key images are
    /// never reused. Reuse lets large bags be drawn from the few background classes; it is harmless
    /// because background carries no label, but a model could in principle recognise a seen image.
    let reusesBackground: Bool
    /// The builder's option defaults for this task.
    let defaults: DemoSettings
    /// Bags per class of the tiny CI version (`--small`).
    let smallBagsPerClass: Int

    static func named(_ name: DemoTaskName) -> DemoTask {
        switch name {
        case .garments: garments
        case .lesions: lesions
        }
    }

    static let garments = DemoTask(
        name: .garments,
        hierarchy: Hierarchy(
            coarse: ["normal", "footwear", "tops"],
            fine: ["normal", "sandal", "sneaker", "ankle_boot", "tshirt", "pullover", "shirt"],
            parent: [
                "normal": "normal",
                "sandal": "footwear", "sneaker": "footwear", "ankle_boot": "footwear",
                "tshirt": "tops", "pullover": "tops", "shirt": "tops"
            ]),
        backgroundClasses: ["trouser", "dress", "coat", "bag"].map(classIndex),
        reusesBackground: false,
        defaults: DemoSettings(),
        smallBagsPerClass: 8)

    /// Four fine classes per abnormal coarse class, the most confusable garments together (T-shirt,
    /// pullover, coat, shirt); only trousers and dresses are left as background, 14 000 images for about
    /// 70 000 background places at the defaults, hence the reuse.
    static let lesions = DemoTask(
        name: .lesions,
        hierarchy: Hierarchy(
            coarse: ["normal", "tops", "accessories"],
            fine: ["normal", "tshirt", "pullover", "coat", "shirt", "sandal", "sneaker", "ankle_boot", "bag"],
            parent: [
                "normal": "normal",
                "tshirt": "tops", "pullover": "tops", "coat": "tops", "shirt": "tops",
                "sandal": "accessories", "sneaker": "accessories", "ankle_boot": "accessories", "bag": "accessories"
            ]),
        backgroundClasses: ["trouser", "dress"].map(classIndex),
        reusesBackground: true,
        defaults: DemoSettings(bagsPerClass: 40, instances: 100...300, keyShare: 0.01...0.05),
        smallBagsPerClass: 6)

    /// The Fashion-MNIST class of a fine label's key garments; nil for `normal` (background only).
    func keyClass(ofFineLabel label: String) -> Int? {
        label == "normal" ? nil : Self.classIndex(label)
    }

    private static func classIndex(_ name: String) -> Int {
        FashionMNIST.classNames.firstIndex(of: name)!
    }
}
