import Foundation
import Shared
import XCTest

final class AtomicFileTests: XCTestCase {
    func testUncommittedWriterLeavesOldContentAndNoTemporary() throws {
        let folder = NSTemporaryDirectory() + "atomic-\(UUID().uuidString)"
        let path = folder + "/doc.json"
        try AtomicFile.write(Data("old".utf8), to: path)
        do {
            let writer = try AtomicFileWriter(path: path)
            try writer.write(Data("half-written".utf8))
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["doc.json"])
        try AtomicFile.write(Data("new".utf8), to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new")
    }
}
