import Shared

/// Fashion-MNIST (Xiao et al. 2017, MIT licence): 70 000 grey 28×28 photographs of garments in ten
/// classes, 7 000 each, as the Debian package `dataset-fashion-mnist` ships them (IDX, gzip'd).
/// The demo pools the training and test files: image `i` is training image `i` for i < 60 000 and
/// test image `i − 60 000` after.
struct FashionMNIST {
    /// The ten classes in label order (0 = T-shirt/top … 9 = ankle boot), named as the demo names them.
    static let classNames = [
        "tshirt", "trouser", "pullover", "dress", "coat",
        "sandal", "shirt", "sneaker", "bag", "ankle_boot"
    ]
    static let side = 28
    static let pixelsPerImage = side * side  // 784 = D, the demo's feature dim

    /// The raw files, in the order they are read and pooled.
    static let parts: [(images: String, labels: String, name: String)] = [
        ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "train"),
        ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "t10k")
    ]

    /// [imageCount, 784] row-major bytes.
    private(set) var pixels: [UInt8] = []
    /// Class index 0..<10 of each image.
    private(set) var labels: [UInt8] = []
    /// Where each part starts in the pooled index, for naming images (`train:12`, `t10k:5`).
    private var partStarts: [(start: Int, name: String)] = []

    var imageCount: Int { labels.count }

    /// Reads the four raw IDX files from `folder`.
    init(folder: String) throws {
        for part in FashionMNIST.parts {
            let imagePath = folder + "/" + part.images
            let labelPath = folder + "/" + part.labels
            let images = try IDXFile(path: imagePath, rank: 3)
            guard images.dimensions[1] == FashionMNIST.side, images.dimensions[2] == FashionMNIST.side else {
                throw ToolError("images are \(images.dimensions[1])×\(images.dimensions[2]), expected 28×28", at: imagePath)
            }
            let labels = try IDXFile(path: labelPath, rank: 1)
            guard labels.dimensions[0] == images.dimensions[0] else {
                throw ToolError(
                    "\(labels.dimensions[0]) labels for \(images.dimensions[0]) images", at: labelPath,
                    hint: "the labels file must belong to \(part.images)")
            }
            if let bad = labels.bytes.firstIndex(where: { Int($0) >= FashionMNIST.classNames.count }) {
                throw ToolError("label \(labels.bytes[bad]) of image \(bad) is not a Fashion-MNIST class (0–9)", at: labelPath)
            }
            partStarts.append((self.labels.count, part.name))
            self.pixels += images.bytes
            self.labels += labels.bytes
        }
    }

    /// Pooled indices of the images of class `label`, in file order.
    func images(ofClass label: Int) -> [Int] {
        labels.indices.filter { Int(labels[$0]) == label }
    }

    /// `train:12345` or `t10k:123`: which file and row an image came from.
    func name(ofImage index: Int) -> String {
        let part = partStarts.last { $0.start <= index }!
        return "\(part.name):\(index - part.start)"
    }

    /// Writes image `index`'s 784 pixels scaled to [0, 1] into `row`.
    func scaledPixels(ofImage index: Int, into row: UnsafeMutableBufferPointer<Float>) {
        precondition(row.count == FashionMNIST.pixelsPerImage)
        let start = index * FashionMNIST.pixelsPerImage
        for k in 0..<FashionMNIST.pixelsPerImage {
            row[k] = Float(pixels[start + k]) / 255
        }
    }
}
