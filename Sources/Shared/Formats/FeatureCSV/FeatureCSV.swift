import Foundation

/// DSMIL-style feature CSVs: one row per instance, D comma-separated numbers per row. A first line
/// that is not all numbers, or that is exactly `0,1,…,D-1` (the column header pandas' `to_csv`
/// writes, as DSMIL does), is a header and skipped.
public enum FeatureCSV {
    public static let maximumFileBytes = 1 << 32

    /// Reads the bag of `slideID` from `path`.
    public static func read(_ path: String, slideID: String) throws -> Bag {
        try FeatureFiles.reporting(path: path, slideID: slideID) {
            let file = try MappedFile(path: path)
            guard file.bytes.count <= maximumFileBytes else { throw FeatureFileProblem("CSV larger than \(maximumFileBytes) bytes") }
            return try FeatureFiles.makeBag(slideID: slideID, features: try parse(file.bytes), coordinates: nil)
        }
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> (rows: Int, cols: Int, values: [Float]) {
        var values: [Float] = []
        var cols = -1
        var rows = 0
        var lineNumber = 0
        var start = 0
        var row: [Float] = []
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            defer { start = end + 1 }
            if lineEnd == start { continue }  // blank line
            guard let line = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<lineEnd]), as: UTF8.self) else {
                throw FeatureFileProblem("line \(lineNumber) is not text")
            }
            row.removeAll(keepingCapacity: true)
            var numeric = true
            for field in line.split(separator: ",", omittingEmptySubsequences: false) {
                guard let v = Float(field.trimmingCharacters(in: .whitespaces)) else {
                    numeric = false
                    break
                }
                row.append(v)
            }
            if lineNumber == 1, !numeric || row.enumerated().allSatisfy({ Float($0.offset) == $0.element }) {
                continue  // header
            }
            guard numeric else { throw FeatureFileProblem("line \(lineNumber) holds a value that is not a number") }
            if cols < 0 { cols = row.count }
            guard row.count == cols else { throw FeatureFileProblem("line \(lineNumber) has \(row.count) values, expected \(cols)") }
            values.append(contentsOf: row)
            rows += 1
        }
        return (rows, max(cols, 0), values)
    }
}
