import Foundation

/// CLAM's split folders: per fold k, the three CSVs `create_splits_seq.py` writes through pandas, and
/// the reader for `splits_k.csv` (what CLAM's `return_splits(from_id=False)` reads back).
///
/// - `splits_k.csv`: header `,train,val,test`; row i is `i,train[i],val[i],test[i]`, a shorter part
///   leaving its cell empty (pandas' NaN), for i up to the longest part.
/// - `splits_k_bool.csv`: header `,train,val,test`; one row per slide of train, then val, then test:
///   `slide,True,False,False`.
/// - `splits_k_descriptor.csv`: header `,train,val,test`; one row per class in class order with its
///   slide counts. (CLAM's `test_split_gen` stores the counts by position among the classes present,
///   so when a class is missing from a part its rows shift; here every class is counted in its own
///   row. The two agree whenever every class appears in every part, as in all CLAM fixtures.)
///
/// Fields are quoted by `CSVWriter` (as pandas quotes them); lines end with "\n".
public enum CLAMSplitFiles {
    public static func splitsCSV(train: [String], val: [String], test: [String]) -> [UInt8] {
        var out = CSVWriter()
        out.raw(",train,val,test\n")
        let parts = [train, val, test]
        for i in 0..<(parts.map(\.count).max() ?? 0) {
            out.raw(String(i))
            for part in parts {
                out.raw(",")
                if i < part.count { out.field(part[i]) }
            }
            out.raw("\n")
        }
        return out.bytes
    }

    public static func boolCSV(train: [String], val: [String], test: [String]) -> [UInt8] {
        var out = CSVWriter()
        out.raw(",train,val,test\n")
        let flags = [",True,False,False\n", ",False,True,False\n", ",False,False,True\n"]
        for (p, part) in [train, val, test].enumerated() {
            for slide in part {
                out.field(slide)
                out.raw(flags[p])
            }
        }
        return out.bytes
    }

    /// `counts[part][class]` for parts train, val, test.
    public static func descriptorCSV(classes: [String], counts: [[Int]]) -> [UInt8] {
        var out = CSVWriter()
        out.raw(",train,val,test\n")
        for (c, name) in classes.enumerated() {
            out.field(name)
            for part in counts { out.raw("," + String(part[c])) }
            out.raw("\n")
        }
        return out.bytes
    }

    /// Writes the three CSVs of every fold of `document` into `folder` (each file atomically).
    public static func write(_ document: PipelineDocument, to folder: String) throws {
        let fineIndex = Dictionary(uniqueKeysWithValues: document.hierarchy.fine.enumerated().map { ($1, $0) })
        var classOf: [String: Int] = [:]
        classOf.reserveCapacity(document.slides.count)
        for slide in document.slides { if let c = fineIndex[slide.label] { classOf[slide.slideID] = c } }
        for fold in document.folds {
            let parts = [fold.train, fold.val, fold.test]
            let counts = parts.map { part in
                var count = [Int](repeating: 0, count: document.hierarchy.fine.count)
                for slide in part { if let c = classOf[slide] { count[c] += 1 } }
                return count
            }
            let k = fold.fold
            try write(splitsCSV(train: fold.train, val: fold.val, test: fold.test), to: "\(folder)/splits_\(k).csv")
            try write(boolCSV(train: fold.train, val: fold.val, test: fold.test), to: "\(folder)/splits_\(k)_bool.csv")
            try write(descriptorCSV(classes: document.hierarchy.fine, counts: counts), to: "\(folder)/splits_\(k)_descriptor.csv")
        }
    }

    /// Reads `splits_0.csv`, `splits_1.csv`, … from `folder` until the next is missing.
    public static func read(folder: String) throws -> [FoldRecord] {
        var folds: [FoldRecord] = []
        while true {
            let path = "\(folder)/splits_\(folds.count).csv"
            guard FileManager.default.fileExists(atPath: path) else { break }
            folds.append(try readFold(path: path, fold: folds.count))
        }
        guard !folds.isEmpty else {
            throw ToolError(
                "no CLAM split files", at: "\(folder)/splits_0.csv", hint: "point --from-clam at a folder written by create_splits_seq.py")
        }
        return folds
    }

    public static func readFold(path: String, fold: Int) throws -> FoldRecord {
        let records = try RFC4180.records(try LabelsCSV.readFile(path, what: "CLAM split file"), source: path)
        guard let header = records.first else { throw ToolError("empty file", at: path) }
        guard header.fields.count == 4, Array(header.fields[1...]) == ["train", "val", "test"] else {
            throw ToolError(
                "header is not ',train,val,test'", at: "\(path), line \(header.line)",
                hint: "give CLAM's splits_k.csv, not the _bool or _descriptor file")
        }
        var parts: [[String]] = [[], [], []]
        var ended = [false, false, false]
        for record in records.dropFirst() {
            guard record.fields.count == 4 else {
                throw ToolError("\(record.fields.count) fields where the header has 4", at: "\(path), line \(record.line)")
            }
            for p in 0..<3 {
                let slide = record.fields[p + 1]
                if slide.isEmpty {
                    ended[p] = true
                } else if ended[p] {
                    throw ToolError(
                        "slide '\(slide)' after an empty cell in column '\(header.fields[p + 1])'",
                        at: "\(path), line \(record.line)")
                } else {
                    parts[p].append(slide)
                }
            }
        }
        return FoldRecord(fold: fold, train: parts[0], val: parts[1], test: parts[2])
    }

    private static func write(_ bytes: [UInt8], to path: String) throws {
        let writer = try AtomicFileWriter(path: path)
        try writer.write(bytes)
        try writer.commit()
    }
}
