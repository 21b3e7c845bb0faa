import Foundation
import Shared

/// The builder's `instance_labels.csv` (`slide_id,instance,is_key,garment_class,image`): which garments of
/// each bag are key garments, in the row order of the bag's features.
struct InstanceLabels {
    /// slide id → is_key per instance, [N].
    private(set) var isKey: [String: [Bool]] = [:]
    /// slide id → Fashion-MNIST class name per instance, [N].
    private(set) var garments: [String: [String]] = [:]

    init(path: String) throws {
        let data = try DocumentIO.readInput(path, what: "instance labels")
        let records = try RFC4180.records([UInt8](data), source: path)
        guard let header = records.first?.fields else { throw ToolError("empty file", at: path) }
        func column(_ name: String) throws -> Int {
            guard let i = header.firstIndex(of: name) else {
                throw ToolError("no '\(name)' column", at: "\(path), line 1", hint: "use the instance_labels.csv hmil-demo-data wrote")
            }
            return i
        }
        let slide = try column("slide_id"), instance = try column("instance"), key = try column("is_key"),
            garment = try column("garment_class")
        for record in records.dropFirst() {
            let at = "\(path), line \(record.line)"
            guard record.fields.count == header.count else {
                throw ToolError("\(record.fields.count) fields where the header has \(header.count)", at: at)
            }
            let id = record.fields[slide]
            let expected = isKey[id]?.count ?? 0
            guard Int(record.fields[instance]) == expected else {
                throw ToolError("instance '\(record.fields[instance])' of slide \(id) out of order (expected \(expected))", at: at)
            }
            guard let flag = ["0": false, "1": true][record.fields[key]] else {
                throw ToolError("is_key must be 0 or 1, not '\(record.fields[key])'", at: at)
            }
            isKey[id, default: []].append(flag)
            garments[id, default: []].append(record.fields[garment])
        }
    }
}
