import Foundation
import Shared

/// The demo report reads hmil-eval's attention files with the same reader hmil-heatmap uses
/// (`AttentionTable`); it only needs the row of a bag's true fine class.
extension AttentionTable {
    /// The row that attends to `fineClass`: `fine:<class>` for HMIL, the only row for a flat model.
    func fineRow(for fineClass: String, source: String) throws -> [Double] {
        let index = columns.firstIndex(of: "fine:" + fineClass) ?? (columns == ["attention"] ? 0 : nil)
        guard let index else { throw ToolError("no column fine:\(fineClass) or attention", at: source) }
        return values[index].map(Double.init)
    }
}
