import Shared
import XCTest

/// CSVWriter quotes as Python's csv module (QUOTE_MINIMAL) does, and RFC4180 reads back what it wrote.
final class CSVWriterTests: XCTestCase {
    func testQuotesOnlyWhatMustBeQuoted() {
        // Expected values: the first field of csv.writer(f).writerow([x, "z"]) in Python 3 (the default dialect).
        XCTAssertEqual(CSVWriter.quoted("BRACS_745"), "BRACS_745")
        XCTAssertEqual(CSVWriter.quoted(""), "")
        XCTAssertEqual(CSVWriter.quoted("a b;c'"), "a b;c'")
        XCTAssertEqual(CSVWriter.quoted("a,b"), "\"a,b\"")
        XCTAssertEqual(CSVWriter.quoted("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSVWriter.quoted("two\nlines"), "\"two\nlines\"")
        XCTAssertEqual(CSVWriter.quoted("cr\rlf"), "\"cr\rlf\"")
        // "\r\n" is one Character in Swift; it still needs quotes.
        XCTAssertEqual(CSVWriter.quoted("crlf\r\nx"), "\"crlf\r\nx\"")
    }

    func testWhatIsWrittenReadsBack() throws {
        let fields = [["slide_id", "label"], ["a,b", "say \"hi\""], ["two\r\nlines", ""], ["ünï", "x"]]
        var writer = CSVWriter()
        for row in fields {
            for (i, field) in row.enumerated() {
                if i > 0 { writer.raw(",") }
                writer.field(field)
            }
            writer.raw("\n")
        }
        let records = try RFC4180.records(writer.bytes, source: "t.csv")
        XCTAssertEqual(records.map(\.fields), fields)
        XCTAssertEqual(records.map(\.line), [1, 2, 3, 5])
    }

    func testStreamingGivesTheSameRecords() throws {
        let bytes = Array("h1,h2\r\n\"x\ny\",2\n\n3,4".utf8)
        var streamed: [RFC4180.Record] = []
        try RFC4180.forEachRecord(bytes, source: "s.csv") { streamed.append($0) }
        XCTAssertEqual(streamed, try RFC4180.records(bytes, source: "s.csv"))
        XCTAssertEqual(streamed.map(\.line), [1, 2, 5])
    }

    func testARowOfTooManyFieldsIsAnError() {
        let row = Array(repeating: UInt8(ascii: ","), count: RFC4180.maximumFields)
        XCTAssertThrowsError(try RFC4180.records(Array("a\n".utf8) + row, source: "wide.csv")) { error in
            XCTAssertEqual("\(error)", "more than \(RFC4180.maximumFields) fields in a row (wide.csv, line 2)")
        }
        XCTAssertNoThrow(try RFC4180.records(Array(row.dropFirst()), source: "ok.csv"))
    }
}
