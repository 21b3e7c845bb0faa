import Foundation

/// CLAM's per-fold prediction file, `fold_k.csv` (CLAM `eval.py` / `utils/eval_utils.py::summary`,
/// written by pandas `to_csv(index=False)`):
///
/// ```
/// slide_id,Y,Y_hat,p_0,p_1,p_2
/// BRACS_745,1.0,1.0,0.0123,0.9012,0.0865
/// ```
/// `Y` and `Y_hat` are class indices (CLAM stores them as floats, hence `1.0`), `p_c` the softmax
/// probability of class c. Numbers are written as Python's `repr` does, so our files read like CLAM's.
/// Reading accepts any tool's file in this layout: columns found by name in any order, extra columns
/// (a pandas index, say) ignored; every value is checked and each error names the file, line and slide.
public enum PredictionCSV {
    /// Largest prediction file accepted (a file for a million slides is far below this).
    public static let maximumFileBytes = 256 << 20
    /// How far a row's probabilities may sum from 1.
    public static let probabilityTolerance = 1e-3

    public static func read(path: String, classes: [String], level: String) throws -> LevelPredictions {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? Int, let data = FileManager.default.contents(atPath: path)
        else {
            throw ToolError("cannot read prediction file", at: path, hint: "check the path")
        }
        guard size <= maximumFileBytes, data.count <= maximumFileBytes else {
            throw ToolError("prediction file larger than \(maximumFileBytes >> 20) MiB", at: path)
        }
        return try parse([UInt8](data), source: path, classes: classes, level: level)
    }

    /// Parses a prediction file for a level with the given classes (K = classes.count).
    public static func parse(_ bytes: [UInt8], source: String, classes: [String], level: String) throws -> LevelPredictions {
        let k = classes.count
        var columns: (slide: Int, y: Int, yHat: Int, p: [Int])?
        var width = 0
        var slideIDs: [String] = []
        var labels: [Int] = []
        var predictions: [Int] = []
        var probabilities: [Double] = []
        var firstLine: [String: Int] = [:]

        try RFC4180.forEachRecord(bytes, source: source) { record in
            guard let (slideColumn, yColumn, yHatColumn, pColumns) = columns else {
                columns = try header(record, source: source, classCount: k, level: level)
                width = record.fields.count
                return
            }
            let fields = record.fields
            guard fields.count == width else {
                throw ToolError("row has \(fields.count) fields, the header has \(width)", at: "\(source), line \(record.line)")
            }
            let slide = fields[slideColumn]
            let place = "\(source), line \(record.line), slide \(slide)"
            if let earlier = firstLine[slide] {
                throw ToolError(
                    "slide listed twice (lines \(earlier) and \(record.line))", at: "\(source), slide \(slide)",
                    hint: "one row per slide")
            }
            firstLine[slide] = record.line
            let y = try classIndex(fields[yColumn], column: "Y", classCount: k, level: level, at: place)
            let yHat = try classIndex(fields[yHatColumn], column: "Y_hat", classCount: k, level: level, at: place)
            var sum = 0.0
            for (c, column) in pColumns.enumerated() {
                guard let p = Double(fields[column]), p.isFinite, p >= 0, p <= 1 + probabilityTolerance else {
                    throw ToolError("p_\(c) is '\(fields[column])', not a probability in [0, 1]", at: place)
                }
                sum += p
                probabilities.append(p)
            }
            guard abs(sum - 1) <= probabilityTolerance else {
                throw ToolError(
                    "probabilities p_0..p_\(k - 1) sum to \(sum), not 1 (tolerance \(probabilityTolerance))", at: place,
                    hint: "write softmax probabilities, one column per class")
            }
            slideIDs.append(slide)
            labels.append(y)
            predictions.append(yHat)
        }
        guard columns != nil else { throw ToolError("prediction file is empty", at: source) }
        guard !slideIDs.isEmpty else { throw ToolError("prediction file has a header but no rows", at: source) }
        return LevelPredictions(
            classes: classes, slideIDs: slideIDs, labels: labels, predictions: predictions,
            probabilities: probabilities)
    }

    /// Finds the columns by name; all of slide_id, Y, Y_hat, p_0..p_{K-1} must be there, and no p_c with c ≥ K.
    private static func header(_ record: RFC4180.Record, source: String, classCount k: Int, level: String) throws
        -> (slide: Int, y: Int, yHat: Int, p: [Int])
    {
        let place = "\(source), line \(record.line)"
        var index: [String: Int] = [:]
        for (i, name) in record.fields.enumerated() {
            if index[name] != nil, !name.isEmpty { throw ToolError("column '\(name)' appears twice", at: place) }
            index[name] = i
        }
        let required = ["slide_id", "Y", "Y_hat"] + (0..<k).map { "p_\($0)" }
        let missing = required.filter { index[$0] == nil }
        if !missing.isEmpty {
            throw ToolError(
                "missing column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))", at: place,
                hint: "CLAM's fold_k.csv layout is slide_id,Y,Y_hat,p_0..p_\(k - 1) for the \(k) \(level) classes")
        }
        let extra = record.fields.filter { name in
            name.hasPrefix("p_") && Int(name.dropFirst(2)).map { $0 >= k } == true
        }
        if let first = extra.first {
            throw ToolError(
                "column '\(first)' but the \(level) level has \(k) classes (p_0..p_\(k - 1))", at: place,
                hint: "check --level and the hierarchy")
        }
        return (index["slide_id"]!, index["Y"]!, index["Y_hat"]!, (0..<k).map { index["p_\($0)"]! })
    }

    /// A class index written as an integer or an integral float ("2", "2.0").
    private static func classIndex(_ text: String, column: String, classCount k: Int, level: String, at place: String) throws -> Int {
        guard let value = Double(text), value.isFinite, value == value.rounded() else {
            throw ToolError("\(column) is '\(text)', not a class index", at: place)
        }
        guard value >= 0, value < Double(k) else {
            throw ToolError(
                "\(column) = \(text) is out of range: the \(level) level has \(k) classes (0..\(k - 1))", at: place,
                hint: "check --level and the hierarchy")
        }
        return Int(value)
    }

    /// The file's text, exactly as CLAM writes it for the same values.
    public static func encode(_ p: LevelPredictions) -> String {
        var text = "slide_id,Y,Y_hat" + (0..<p.classCount).map { ",p_\($0)" }.joined() + "\n"
        for bag in 0..<p.count {
            text +=
                CSVWriter.quoted(p.slideIDs[bag]) + "," + pythonText(Double(p.labels[bag])) + ","
                + pythonText(Double(p.predictions[bag]))
            for c in 0..<p.classCount { text += "," + pythonText(p.probability(bag: bag, class: c)) }
            text += "\n"
        }
        return text
    }

    /// A Double as Python's `repr` (and so pandas' `to_csv`) writes it: the shortest text that reads back
    /// as the same value, in exponent form below 1e-4 and from 1e16. Swift's `description` follows the
    /// same rules (held to Python's output in the tests).
    public static func pythonText(_ value: Double) -> String {
        value.description
    }
}
