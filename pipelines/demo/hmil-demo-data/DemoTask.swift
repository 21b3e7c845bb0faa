import Shared

/// The hierarchical task the demo builds from Fashion-MNIST, shaped like BRACS (3 coarse, 7 fine classes):
/// a bag is mostly background garments, and a few key garments of its fine class decide its label;
/// fine classes within a coarse class differ subtly (a shirt from a T-shirt, a sneaker from a sandal).
enum DemoTask {
    /// Garments that fill every bag and decide nothing: trouser, dress, coat, bag.
    static let backgroundClasses = ["trouser", "dress", "coat", "bag"].map(classIndex)

    /// The hierarchy written to `hierarchy.json` (DESIGN §2.1); the order fixes class indices.
    static let hierarchy = Hierarchy(
        coarse: ["normal", "footwear", "tops"],
        fine: ["normal", "sandal", "sneaker", "ankle_boot", "tshirt", "pullover", "shirt"],
        parent: ["normal": "normal",
                 "sandal": "footwear", "sneaker": "footwear", "ankle_boot": "footwear",
                 "tshirt": "tops", "pullover": "tops", "shirt": "tops"])

    /// The Fashion-MNIST class of a fine label's key garments; nil for `normal` (background only).
    static func keyClass(ofFineLabel label: String) -> Int? {
        label == "normal" ? nil : classIndex(label)
    }

    private static func classIndex(_ name: String) -> Int {
        FashionMNIST.classNames.firstIndex(of: name)!
    }
}
