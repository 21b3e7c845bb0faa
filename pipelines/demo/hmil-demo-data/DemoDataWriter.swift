import Foundation
import Shared

/// Writes a drawn BagPlan as the files a CLAM user has, plus what only a synthetic task can offer:
///
/// - `h5_files/<slide_id>.h5`: per bag `features` N×784 float32 (pixels / 255) and `coords` N×2 int32,
///   the garment's top-left pixel in a grid of ⌈√N⌉ columns of 28×28 tiles (like a patch's level-0 position);
/// - `hierarchy.json`: the task's two-level hierarchy (DESIGN §2.1);
/// - `instance_labels.csv`: `slide_id,instance,label,garment_class,image` per garment, in the row order of
///   the bag's features; `label` is 1 for a key garment, 0 for background (the columns `hmil-eval
///   --instance-labels` reads); `image` names the Fashion-MNIST file and row (`train:123`), so reuse is checkable;
/// - `labels.csv`: CLAM's `case_id,slide_id,label`, written last: its presence means the set is complete.
///
/// Every file is written atomically.
struct DemoDataWriter {
    let folder: String
    let images: FashionMNIST

    func write(_ plan: BagPlan, progress: Shared.Progress) throws {
        let h5Folder = folder + "/h5_files"
        try FileManager.default.createDirectory(atPath: h5Folder, withIntermediateDirectories: true)
        let d = FashionMNIST.pixelsPerImage
        let largest = plan.bags.map(\.instances.count).max() ?? 0
        var features = [Float](repeating: 0, count: largest * d)  // [N, 784], reused across bags
        for bag in plan.bags {
            let n = bag.instances.count
            try features.withUnsafeMutableBufferPointer { buffer in
                for (row, instance) in bag.instances.enumerated() {
                    images.scaledPixels(
                        ofImage: instance.image,
                        into: UnsafeMutableBufferPointer(rebasing: buffer[row * d..<(row + 1) * d]))
                }
                try CLAMFeatureFile.write(
                    path: h5Folder + "/" + bag.slideID + ".h5",
                    features: UnsafeBufferPointer(rebasing: buffer[0..<n * d]),
                    featureDim: d, coords: DemoDataWriter.gridCoordinates(count: n))
            }
            progress.advance(note: bag.slideID)
        }

        try AtomicFile.write(DocumentIO.encode(plan.task.hierarchy), to: folder + "/hierarchy.json")
        try AtomicFile.write(Data(instanceLabels(plan).utf8), to: folder + "/instance_labels.csv")
        try AtomicFile.write(Data(labels(plan).utf8), to: folder + "/labels.csv")
    }

    /// (x, y) pixel positions of `count` 28×28 tiles laid out row by row in ⌈√count⌉ columns, [count, 2].
    static func gridCoordinates(count: Int) -> [Int32] {
        var columns = 1
        while columns * columns < count { columns += 1 }
        var coords: [Int32] = []
        coords.reserveCapacity(2 * count)
        for i in 0..<count {
            coords.append(Int32(i % columns * FashionMNIST.side))
            coords.append(Int32(i / columns * FashionMNIST.side))
        }
        return coords
    }

    private func labels(_ plan: BagPlan) -> String {
        var text = "case_id,slide_id,label\n"
        for bag in plan.bags {
            text += "\(bag.caseID),\(bag.slideID),\(bag.label)\n"
        }
        return text
    }

    private func instanceLabels(_ plan: BagPlan) -> String {
        var text = "slide_id,instance,label,garment_class,image\n"
        for bag in plan.bags {
            for (row, instance) in bag.instances.enumerated() {
                let garment = FashionMNIST.classNames[Int(images.labels[instance.image])]
                text += "\(bag.slideID),\(row),\(instance.isKey ? 1 : 0),\(garment),\(images.name(ofImage: instance.image))\n"
            }
        }
        return text
    }
}
