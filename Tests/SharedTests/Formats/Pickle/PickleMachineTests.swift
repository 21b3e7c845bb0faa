import Foundation
import Shared
import XCTest

final class PickleMachineTests: XCTestCase {
    let machine = PickleMachine()

    func parse(_ bytes: [UInt8]) throws -> PickleValue { try machine.parse(bytes) }

    /// `[slide_id, label, path]` rows of an official HMIL split pickle.
    func rows(_ name: String) throws -> [[String]] {
        let value = try machine.parse(contentsOfFile: FixturePaths.features("hmil-official-splits/BRACS/" + name))
        let rows = try XCTUnwrap(value.items)
        return try rows.map { row in try XCTUnwrap(row.items).map { try XCTUnwrap($0.stringValue) } }
    }

    func testOfficialBRACSSplitsOfFoldZero() throws {
        let train = try rows("train_splits_0.pkl")
        let val = try rows("val_splits_0.pkl")
        let test = try rows("test_splits_0.pkl")
        XCTAssertEqual([train.count, val.count, test.count], [437, 54, 54])
        XCTAssertEqual(train[0], ["BRACS_745", "PB", "/jhcnas3/Pathology/Patches/BRACS/pt_files/resnet50/BRACS_745.pt"])
        XCTAssertTrue((train + val + test).allSatisfy { $0.count == 3 })
        XCTAssertEqual(Set((train + val + test).map { $0[0] }).count, 545)
        XCTAssertEqual(Set(train.map { $0[1] }), ["N", "PB", "UDH", "FEA", "ADH", "DCIS", "IC"])
    }

    func testScalarsAndContainers() throws {
        // pickle.dumps({'a': [1, -2, 300, 70000, 2**40, -2**63], 'b': (None, True, 1.5), 'c': b'xy'}, protocol=2)
        // written here by hand with the same opcodes.
        let bytes: [UInt8] = [
            0x80, 0x02, 0x7D, 0x71, 0x00, 0x28,
            0x58, 1, 0, 0, 0, 0x61, 0x5D, 0x28,
            0x4B, 1, 0x4A, 0xFE, 0xFF, 0xFF, 0xFF, 0x4D, 0x2C, 0x01, 0x4A, 0x70, 0x11, 0x01, 0x00,
            0x8A, 6, 0, 0, 0, 0, 0, 1, 0x8A, 8, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x65,
            0x58, 1, 0, 0, 0, 0x62, 0x4E, 0x88, 0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0x87,
            0x58, 1, 0, 0, 0, 0x63, 0x43, 2, 0x78, 0x79,
            0x75, 0x2E
        ]
        let value = try parse(bytes)
        XCTAssertEqual(value["a"], .list([.int(1), .int(-2), .int(300), .int(70000), .int(1 << 40), .int(Int.min)]))
        XCTAssertEqual(value["b"], .tuple([.none, .bool(true), .float(1.5)]))
        XCTAssertEqual(value["c"], .bytes([0x78, 0x79]))
    }

    func testMemoSeesLaterAppends() throws {
        // x = []; [x, x] with x filled after it was memoized: ] MEMOIZE ( K1 K2 e  then list of (x, get 0)
        let bytes: [UInt8] = [0x80, 0x04, 0x28, 0x5D, 0x94, 0x28, 0x4B, 1, 0x4B, 2, 0x65, 0x68, 0, 0x6C, 0x2E]
        XCTAssertEqual(try parse(bytes), .list([.list([.int(1), .int(2)]), .list([.int(1), .int(2)])]))
    }

    func testOrderedDictBecomesADict() throws {
        var b: [UInt8] = [0x80, 0x02, 0x63]
        b += Array("collections\nOrderedDict\n".utf8)
        b += [0x29, 0x52, 0x28, 0x8C, 1, 0x6B, 0x4B, 7, 0x75, 0x2E]
        XCTAssertEqual(try parse(b), .dict([PickleEntry(key: .string("k"), value: .int(7))]))
    }

    func testUnknownGlobalIsRefused() {
        var b: [UInt8] = [0x80, 0x02, 0x63]
        b += Array("os\nsystem\n".utf8)
        b += [0x8C, 2, 0x6C, 0x73, 0x85, 0x52, 0x2E]
        XCTAssertThrowsError(try parse(b)) { error in
            XCTAssertEqual(error as? PickleError, .globalNotAllowed(module: "os", name: "system", offset: 2))
        }
        // STACK_GLOBAL spelling of the same
        let s: [UInt8] = [0x80, 0x04, 0x8C, 8] + Array("builtins".utf8) + [0x8C, 4] + Array("eval".utf8) + [0x93, 0x2E]
        XCTAssertThrowsError(try parse(s)) { error in
            guard case .globalNotAllowed(module: "builtins", name: "eval", _)? = error as? PickleError else { return XCTFail("\(error)") }
        }
    }

    func testAllowListIsTheCallersChoice() {
        let b: [UInt8] = [0x80, 0x02, 0x63] + Array("collections\nOrderedDict\n".utf8) + [0x2E]
        XCTAssertEqual(try parse(b), .global(module: "collections", name: "OrderedDict"))
        XCTAssertThrowsError(try PickleMachine(allowedGlobals: []).parse(b))
    }

    func testCycleThroughTheMemoIsRefused() {
        // x = []; x.append(x)
        let bytes: [UInt8] = [0x80, 0x04, 0x5D, 0x94, 0x68, 0, 0x61, 0x2E]
        XCTAssertThrowsError(try parse(bytes)) { XCTAssertEqual($0 as? PickleError, .cycle) }
    }

    func testDeepNestingIsRefused() {
        let bytes: [UInt8] = [0x80, 0x02] + Array(repeating: 0x5D, count: 100) + Array(repeating: 0x61, count: 99) + [0x2E]
        XCTAssertThrowsError(try parse(bytes)) { error in
            guard case .limitExceeded("nesting depth", _, _)? = error as? PickleError else { return XCTFail("\(error)") }
        }
    }

    func testSharedSubtreesStayCheap() throws {
        // a0 = [1]; a(k+1) = [ak, ak] 60 times: 2^60 leaves if expanded; shared values keep it small.
        var b: [UInt8] = [0x80, 0x04, 0x28, 0x4B, 1, 0x6C, 0x94, 0x30]
        for k in 0..<60 { b += [0x28, 0x68, UInt8(k), 0x68, UInt8(k), 0x6C, 0x94] + (k < 59 ? [0x30] : []) }
        b += [0x2E]
        var limits = PickleLimits()
        limits.depth = 100
        let value = try PickleMachine(limits: limits).parse(b)
        XCTAssertEqual(value.items?.count, 2)
    }

    func testHugeDeclaredLengthIsTruncationNotAllocation() {
        let bytes: [UInt8] = [0x80, 0x04, 0x8D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x61, 0x2E]
        XCTAssertThrowsError(try parse(bytes)) { XCTAssertEqual($0 as? PickleError, .truncated(offset: 11)) }
        let b4: [UInt8] = [0x80, 0x04, 0x42, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E]
        XCTAssertThrowsError(try parse(b4)) { XCTAssertEqual($0 as? PickleError, .truncated(offset: 7)) }
    }

    func testStackAndMemoLimits() {
        var limits = PickleLimits()
        limits.stack = 10
        limits.memo = 3
        let many: [UInt8] = [0x80, 0x02] + Array(repeating: 0x4E, count: 11) + [0x2E]
        XCTAssertThrowsError(try PickleMachine(limits: limits).parse(many)) { error in
            guard case .limitExceeded("stack size", _, _)? = error as? PickleError else { return XCTFail("\(error)") }
        }
        let memo: [UInt8] = [0x80, 0x02, 0x4E, 0x71, 0, 0x71, 1, 0x71, 2, 0x71, 3, 0x2E]
        XCTAssertThrowsError(try PickleMachine(limits: limits).parse(memo)) { error in
            guard case .limitExceeded("memo size", _, _)? = error as? PickleError else { return XCTFail("\(error)") }
        }
    }

    func testMalformedStreams() {
        let cases: [([UInt8], PickleError)] = [
            ([], .noStop),
            ([0x80, 0x02, 0x4E], .noStop),
            ([0x80, 0x02, 0x4A, 1], .truncated(offset: 3)),
            ([0x80, 0x02, 0xFF], .unknownOpcode(0xFF, offset: 2)),
            ([0x80, 0x02, 0x61, 0x2E], .stackUnderflow(opcode: "APPEND", offset: 2)),
            ([0x80, 0x02, 0x65, 0x2E], .missingMark(opcode: "APPENDS", offset: 2)),
            ([0x80, 0x02, 0x68, 5, 0x2E], .missingMemo(index: 5, offset: 2)),
            ([0x80, 0x02, 0x4E, 0x4E, 0x2E], .invalid("STOP with 2 values on the stack", offset: 4)),
            ([0x80, 0x02, 0x4E, 0x4B, 1, 0x61, 0x2E], .invalid("APPEND to a non-list", offset: 5)),
            ([0x80, 0x02, 0x8A, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x2E], .invalid("integer wider than 64 bits", offset: 2)),
            ([0x80, 0x05, 0x97, 0x2E], .unsupportedOpcode("out-of-band buffer", offset: 2)),
            ([0x80, 0x02, 0x8C, 2, 0xC3, 0x28, 0x2E], .invalid("string is not UTF-8", offset: 2)),
            ([0x80, 0x09, 0x2E], .invalid("protocol 9", offset: 0))
        ]
        for (bytes, expected) in cases {
            XCTAssertThrowsError(try parse(bytes), "\(bytes)") { XCTAssertEqual($0 as? PickleError, expected) }
        }
    }

    func testFileErrorsNameTheFile() throws {
        let folder = try FixturePaths.temporaryFolder()
        let path = folder + "/bad.pkl"
        try Data([0x80, 0x02, 0x5D]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try machine.parse(contentsOfFile: path)) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }

    /// Crash-freedom: mutated real pickles either parse or throw, never crash or hang.
    func testMutatedPicklesNeverCrash() throws {
        let seeds = [try FixturePaths.bytes("features/hmil-official-splits/BRACS/val_splits_0.pkl")]
        var mutator = ByteMutator(seed: 4)
        var parsed = 0
        for i in 0..<3000 {
            let input = mutator.mutate(seeds[i % seeds.count])
            if (try? machine.parse(input)) != nil { parsed += 1 }
        }
        XCTAssertLessThan(parsed, 3000)
    }
}
