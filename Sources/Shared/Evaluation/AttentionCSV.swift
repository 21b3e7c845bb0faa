import Foundation

/// `--attention`: each slide's attention over its instances, one CSV per fold and slide, for heatmaps
/// and for scoring attention against known key instances:
///
/// ```
/// RESULTS/attention/fold_<k>/<slide_id>.csv
/// instance,x,y,coarse:benign,coarse:malignant,fine:N,fine:UDH,fine:DCIS      (HMIL: A_c rows, then A_f rows)
/// 0,10240,4096,0.000123456789,…
/// ```
/// One row per instance in bag order (`instance` = 0..N−1, the row of the features in the pack); `x,y`
/// are the bag's coordinates as packed (int32 pixels or float32), empty when the pack has none. One
/// column per attention row: `coarse:<class>` for each coarse class, then `fine:<class>` for each fine
/// class (HMIL), or a single `attention` column (flat ABMIL). Each column is a softmax over the
/// instances, so it sums to 1. Values are written as the shortest decimal that reads back as the same
/// f32 (Swift's `Float.description`, e.g. `0.00012345679` or `1.2e-07`), which numpy and pandas parse.
public enum AttentionCSV {
    /// The file's text for one bag. `coarseClasses` empty for the flat model.
    public static func encode(output: BagOutput, coordinates: Coordinates?, coarseClasses: [String], fineClasses: [String]) -> String {
        let n = output.instanceCount
        let flat = output.coarseLogits.isEmpty
        precondition(flat || output.coarseAttention.count == coarseClasses.count * n, "coarse attention is [Kc, N]")
        precondition(
            flat ? output.fineAttention.count == n : output.fineAttention.count == fineClasses.count * n,
            "fine attention is [Kf, N] (flat: [1, N])")
        precondition(coordinates.map { $0.count == n } ?? true, "coordinates are [N, 2]")
        var columns = ["instance", "x", "y"]
        var rows: [(values: [Float], row: Int)] = []
        if flat {
            columns.append("attention")
            rows.append((output.fineAttention, 0))
        } else {
            for (k, name) in coarseClasses.enumerated() {
                columns.append(CSVWriter.quoted("coarse:" + name))
                rows.append((output.coarseAttention, k))
            }
            for (j, name) in fineClasses.enumerated() {
                columns.append(CSVWriter.quoted("fine:" + name))
                rows.append((output.fineAttention, j))
            }
        }
        var text = columns.joined(separator: ",") + "\n"
        text.reserveCapacity(n * (8 + 16 * rows.count))
        for i in 0..<n {
            text += String(i)
            switch coordinates {
            case .int32(let c): text += ",\(c[2 * i]),\(c[2 * i + 1])"
            case .float32(let c): text += "," + number(c[2 * i]) + "," + number(c[2 * i + 1])
            case nil: text += ",,"
            }
            for (values, row) in rows { text += "," + number(values[row * n + i]) }
            text += "\n"
        }
        return text
    }

    /// `folder/fold_<k>/<slide_id>.csv`; a slide id that is not a plain file name is an error.
    public static func path(folder: String, fold: Int, slideID: String) throws -> String {
        try checkFileName(slideID)
        return "\(folder)/fold_\(fold)/\(slideID).csv"
    }

    /// Writes one bag's file atomically.
    public static func write(_ prediction: BagPrediction, fold: Int, hierarchy: Hierarchy, folder: String) throws {
        guard let output = prediction.output else { preconditionFailure("predict with keepOutputs to export attention") }
        let text = encode(
            output: output, coordinates: prediction.coordinates,
            coarseClasses: output.coarseLogits.isEmpty ? [] : hierarchy.coarse, fineClasses: hierarchy.fine)
        try AtomicFile.write(Data(text.utf8), to: path(folder: folder, fold: fold, slideID: prediction.slideID))
    }

    /// Slide ids become file names (as CLAM's pt_files/<slide_id>.pt): no path separators, no `.`/`..`.
    public static func checkFileName(_ slideID: String) throws {
        guard !slideID.isEmpty, slideID != ".", slideID != "..", !slideID.contains("/"), !slideID.contains("\0"),
            slideID.utf8.count <= 250
        else {
            throw ToolError(
                "slide id cannot be a file name for its attention file", at: "slide \(slideID)",
                hint: "slide ids name files (as CLAM's pt_files/<slide_id>.pt); leave out --attention or rename the slide")
        }
    }

    /// The shortest text that reads back as the same f32 (at most 9 significant digits, like `%.9g`).
    static func number(_ value: Float) -> String { value.description }
}
