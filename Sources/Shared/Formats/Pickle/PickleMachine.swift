import Foundation

/// Bounds that keep a hostile pickle from exhausting memory or the call stack.
public struct PickleLimits: Sendable {
    /// Values on the stack at once.
    public var stack = 1 << 20
    /// Memo entries (distinct memo indices).
    public var memo = 1 << 20
    /// Objects created while reading (each opcode makes at most one).
    public var nodes = 1 << 22
    /// Nesting depth of the finished value.
    public var depth = 64

    public init() {}
}

/// A restricted pickle reader (protocols 2–5, plus the few text opcodes torch's protocol-2 pickles
/// use). It turns the opcode stream into a `PickleValue` tree and executes nothing: globals are
/// checked against an allow-list and kept as names, calls and object state stay symbolic, and the
/// caller decides what a `reduce` of a known global means.
///
/// Why a tree of reference nodes first: pickles memoize a container and fill it later
/// (EMPTY_LIST, MEMOIZE, …, APPENDS), so the memo must see later mutation; the finished graph is then
/// converted to values once, which is also where cycles and excessive depth are caught.
public struct PickleMachine {
    public var allowedGlobals: Set<String>
    public var limits: PickleLimits

    public init(allowedGlobals: Set<String> = PickleGlobals.torchAndNumpy, limits: PickleLimits = PickleLimits()) {
        self.allowedGlobals = allowedGlobals
        self.limits = limits
    }

    /// Reads one pickle from the start of `bytes` up to its STOP opcode.
    public func parse(_ bytes: [UInt8]) throws -> PickleValue {
        try bytes.withUnsafeBytes { try parse($0) }
    }

    public func parse(_ bytes: UnsafeRawBufferPointer) throws -> PickleValue {
        var reader = PickleReader(input: bytes, machine: self)
        let (root, _) = try reader.run()
        var converter = NodeConverter(depthLimit: limits.depth)
        return try converter.value(of: root, depth: 0)
    }

    /// Reads one pickle and returns where it stopped, for streams of several pickles (torch's legacy format).
    public func parsePrefix(_ bytes: UnsafeRawBufferPointer) throws -> (value: PickleValue, length: Int) {
        var reader = PickleReader(input: bytes, machine: self)
        let (root, end) = try reader.run()
        var converter = NodeConverter(depthLimit: limits.depth)
        return (try converter.value(of: root, depth: 0), end)
    }
}

/// A mutable object while the pickle is read.
private final class Node {
    enum Kind {
        case none
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
        case bytes([UInt8])
        case list, tuple, dict  // children: items; dict alternates key, value
        case global(String, String)
        case reduce  // children: [callable, arguments]
        case build  // children: [object, state]
        case persistentID  // children: [pid]
    }
    var kind: Kind
    var children: [Node]

    init(_ kind: Kind, _ children: [Node] = []) {
        self.kind = kind
        self.children = children
    }
}

private struct NodeConverter {
    let depthLimit: Int
    var done: [ObjectIdentifier: PickleValue] = [:]
    var inProgress: Set<ObjectIdentifier> = []

    init(depthLimit: Int) { self.depthLimit = depthLimit }

    /// Shared nodes convert once; indirect enum payloads are shared, so a DAG stays a DAG in memory.
    mutating func value(of node: Node, depth: Int) throws -> PickleValue {
        let id = ObjectIdentifier(node)
        if let cached = done[id] { return cached }
        guard depth <= depthLimit else { throw PickleError.limitExceeded("nesting depth", limit: depthLimit, offset: 0) }
        guard inProgress.insert(id).inserted else { throw PickleError.cycle }
        defer { inProgress.remove(id) }
        let children = try node.children.map { try value(of: $0, depth: depth + 1) }
        let result: PickleValue
        switch node.kind {
        case .none: result = .none
        case .bool(let b): result = .bool(b)
        case .int(let i): result = .int(i)
        case .float(let f): result = .float(f)
        case .string(let s): result = .string(s)
        case .bytes(let b): result = .bytes(b)
        case .list: result = .list(children)
        case .tuple: result = .tuple(children)
        case .dict:
            result = .dict(stride(from: 0, to: children.count, by: 2).map { PickleEntry(key: children[$0], value: children[$0 + 1]) })
        case .global(let m, let n): result = .global(module: m, name: n)
        case .reduce: result = .reduce(callable: children[0], arguments: children[1])
        case .build: result = .build(object: children[0], state: children[1])
        case .persistentID: result = .persistentID(children[0])
        }
        done[id] = result
        return result
    }
}

private struct PickleReader {
    let input: UnsafeRawBufferPointer
    let machine: PickleMachine
    var position = 0
    var opcodeStart = 0
    var stack: [Node] = []
    var marks: [Int] = []
    var memo: [Int: Node] = [:]
    var nodeCount = 0

    init(input: UnsafeRawBufferPointer, machine: PickleMachine) {
        self.input = input
        self.machine = machine
    }

    // MARK: reading bytes

    mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= input.count - position else { throw PickleError.truncated(offset: position) }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: input[position..<position + count])
    }

    mutating func byte() throws -> UInt8 { try take(1)[0] }

    mutating func littleEndian(_ count: Int) throws -> UInt64 {
        let b = try take(count)
        var v: UInt64 = 0
        for i in (0..<count).reversed() { v = v << 8 | UInt64(b[i]) }
        return v
    }

    /// A length field; lengths past the end of the input fail in `take` before anything is allocated.
    mutating func length(_ count: Int) throws -> Int {
        let v = try littleEndian(count)
        guard v <= UInt64(input.count) else { throw PickleError.truncated(offset: position) }
        return Int(v)
    }

    /// A text argument ending in a newline (GLOBAL, INT, PUT, GET), at most 4 KiB.
    mutating func line() throws -> String {
        var end = position
        while end < input.count, input[end] != 0x0A {
            end += 1
            if end - position > 4096 { throw PickleError.limitExceeded("text argument length", limit: 4096, offset: position) }
        }
        guard end < input.count else { throw PickleError.truncated(offset: position) }
        let bytes = try take(end - position)
        position += 1
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw PickleError.invalid("text argument is not UTF-8", offset: opcodeStart)
        }
        return s
    }

    mutating func utf8(_ count: Int) throws -> String {
        let bytes = try take(count)
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw PickleError.invalid("string is not UTF-8", offset: opcodeStart)
        }
        return s
    }

    // MARK: the stack

    mutating func make(_ kind: Node.Kind, _ children: [Node] = []) throws -> Node {
        nodeCount += 1
        guard nodeCount <= machine.limits.nodes else {
            throw PickleError.limitExceeded("object count", limit: machine.limits.nodes, offset: opcodeStart)
        }
        return Node(kind, children)
    }

    mutating func push(_ node: Node) throws {
        guard stack.count < machine.limits.stack else {
            throw PickleError.limitExceeded("stack size", limit: machine.limits.stack, offset: opcodeStart)
        }
        stack.append(node)
    }

    mutating func push(_ kind: Node.Kind, _ children: [Node] = []) throws { try push(try make(kind, children)) }

    mutating func pop(_ name: String) throws -> Node {
        guard let last = stack.last, stack.count > (marks.last ?? 0) else {
            throw PickleError.stackUnderflow(opcode: name, offset: opcodeStart)
        }
        stack.removeLast()
        return last
    }

    func top(_ name: String) throws -> Node {
        guard let last = stack.last, stack.count > (marks.last ?? 0) else {
            throw PickleError.stackUnderflow(opcode: name, offset: opcodeStart)
        }
        return last
    }

    /// Everything pushed since the last MARK, which is removed.
    mutating func popToMark(_ name: String) throws -> [Node] {
        guard let mark = marks.popLast() else { throw PickleError.missingMark(opcode: name, offset: opcodeStart) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    mutating func memoize(_ index: Int, _ node: Node) throws {
        guard index >= 0 else { throw PickleError.invalid("negative memo index", offset: opcodeStart) }
        if memo[index] == nil, memo.count >= machine.limits.memo {
            throw PickleError.limitExceeded("memo size", limit: machine.limits.memo, offset: opcodeStart)
        }
        memo[index] = node
    }

    mutating func recall(_ index: Int) throws {
        guard let node = memo[index] else { throw PickleError.missingMemo(index: index, offset: opcodeStart) }
        try push(node)
    }

    mutating func global(_ module: String, _ name: String) throws {
        guard machine.allowedGlobals.contains(module + "." + name) else {
            throw PickleError.globalNotAllowed(module: module, name: name, offset: opcodeStart)
        }
        try push(.global(module, name))
    }

    mutating func append(_ items: [Node], to target: Node, _ name: String) throws {
        guard case .list = target.kind else { throw PickleError.invalid("\(name) to a non-list", offset: opcodeStart) }
        target.children.append(contentsOf: items)
    }

    mutating func setItems(_ items: [Node], in target: Node, _ name: String) throws {
        guard case .dict = target.kind else { throw PickleError.invalid("\(name) on a non-dict", offset: opcodeStart) }
        guard items.count % 2 == 0 else { throw PickleError.invalid("\(name) with an odd number of items", offset: opcodeStart) }
        target.children.append(contentsOf: items)
    }

    mutating func reduce(_ name: String) throws {
        let arguments = try pop(name)
        let callable = try pop(name)
        guard case .tuple = arguments.kind else { throw PickleError.invalid("\(name) arguments are not a tuple", offset: opcodeStart) }
        // An OrderedDict is a dict; making it one here lets SETITEMS fill it as pickle intends.
        if case .global("collections", "OrderedDict") = callable.kind, arguments.children.isEmpty {
            try push(.dict)
        } else {
            try push(.reduce, [callable, arguments])
        }
    }

    mutating func textInt(_ text: String) throws -> Int {
        var t = Substring(text)
        if t.hasSuffix("L") { t = t.dropLast() }
        guard let v = Int(t) else { throw PickleError.invalid("bad integer '\(text.prefix(40))'", offset: opcodeStart) }
        return v
    }

    // MARK: the opcode loop

    /// Runs to STOP; returns the root object and the offset just past STOP.
    mutating func run() throws -> (Node, Int) {
        while position < input.count {
            opcodeStart = position
            let op = try byte()
            switch op {
            case 0x80:  // PROTO
                let version = try byte()
                guard version <= 5 else { throw PickleError.invalid("protocol \(version)", offset: opcodeStart) }
            case 0x95: _ = try littleEndian(8)  // FRAME: a hint for buffered readers
            case 0x2E:  // STOP
                guard stack.count == 1, marks.isEmpty else {
                    throw PickleError.invalid("STOP with \(stack.count) values on the stack", offset: opcodeStart)
                }
                return (stack[0], position)

            case 0x4E: try push(.none)  // NONE
            case 0x88: try push(.bool(true))  // NEWTRUE
            case 0x89: try push(.bool(false))  // NEWFALSE
            case 0x4A: try push(.int(Int(Int32(bitPattern: UInt32(try littleEndian(4))))))  // BININT
            case 0x4B: try push(.int(Int(try byte())))  // BININT1
            case 0x4D: try push(.int(Int(try littleEndian(2))))  // BININT2
            case 0x8A, 0x8B:  // LONG1, LONG4: little-endian two's complement
                let n = try length(op == 0x8A ? 1 : 4)
                guard n <= 8 else { throw PickleError.invalid("integer wider than 64 bits", offset: opcodeStart) }
                var v = n == 0 ? 0 : try littleEndian(n)
                if n > 0, n < 8, v & (1 << (UInt64(n) * 8 - 1)) != 0 { v |= ~0 << (UInt64(n) * 8) }
                try push(.int(Int(bitPattern: UInt(v))))
            case 0x49:  // INT (text); "01"/"00" are True/False
                let text = try line()
                if text == "01" {
                    try push(.bool(true))
                } else if text == "00" {
                    try push(.bool(false))
                } else {
                    try push(.int(try textInt(text)))
                }
            case 0x4C: try push(.int(try textInt(try line())))  // LONG (text)
            case 0x47:  // BINFLOAT, big-endian
                let b = try take(8)
                var bits: UInt64 = 0
                for i in 0..<8 { bits = bits << 8 | UInt64(b[i]) }
                try push(.float(Double(bitPattern: bits)))
            case 0x46:  // FLOAT (text)
                let text = try line()
                guard let v = Double(text) else { throw PickleError.invalid("bad float", offset: opcodeStart) }
                try push(.float(v))

            case 0x8C: try push(.string(try utf8(try length(1))))  // SHORT_BINUNICODE
            case 0x58: try push(.string(try utf8(try length(4))))  // BINUNICODE
            case 0x8D: try push(.string(try utf8(try length(8))))  // BINUNICODE8
            case 0x55, 0x54, 0x43, 0x42, 0x8E, 0x96:  // SHORT_BINSTRING, BINSTRING, SHORT_BINBYTES, BINBYTES, BINBYTES8, BYTEARRAY8
                let width = [0x55: 1, 0x54: 4, 0x43: 1, 0x42: 4, 0x8E: 8, 0x96: 8][op]!
                try push(.bytes(Array(try take(try length(width)))))

            case 0x5D: try push(.list)  // EMPTY_LIST
            case 0x29: try push(.tuple)  // EMPTY_TUPLE
            case 0x7D: try push(.dict)  // EMPTY_DICT
            case 0x28:  // MARK
                guard marks.count < machine.limits.stack else {
                    throw PickleError.limitExceeded("mark count", limit: machine.limits.stack, offset: opcodeStart)
                }
                marks.append(stack.count)
            case 0x6C: try push(.list, try popToMark("LIST"))  // LIST
            case 0x74: try push(.tuple, try popToMark("TUPLE"))  // TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                var items: [Node] = []
                for _ in 0..<Int(op - 0x84) { items.insert(try pop("TUPLEn"), at: 0) }
                try push(.tuple, items)
            case 0x64:  // DICT
                let items = try popToMark("DICT")
                let dict = try make(.dict)
                try setItems(items, in: dict, "DICT")
                try push(dict)
            case 0x61:  // APPEND
                let item = try pop("APPEND")
                try append([item], to: try top("APPEND"), "APPEND")
            case 0x65:  // APPENDS
                let items = try popToMark("APPENDS")
                try append(items, to: try top("APPENDS"), "APPENDS")
            case 0x73:  // SETITEM
                let value = try pop("SETITEM")
                let key = try pop("SETITEM")
                try setItems([key, value], in: try top("SETITEM"), "SETITEM")
            case 0x75:  // SETITEMS
                let items = try popToMark("SETITEMS")
                try setItems(items, in: try top("SETITEMS"), "SETITEMS")
            case 0x30:  // POP (of an empty frame pops the mark, as CPython does)
                if stack.count == (marks.last ?? -1) { marks.removeLast() } else { _ = try pop("POP") }
            case 0x31: _ = try popToMark("POP_MARK")  // POP_MARK
            case 0x32: try push(try top("DUP"))  // DUP

            case 0x71: try memoize(Int(try byte()), try top("BINPUT"))  // BINPUT
            case 0x72: try memoize(Int(try littleEndian(4)), try top("LONG_BINPUT"))
            case 0x70: try memoize(try textInt(try line()), try top("PUT"))  // PUT (text)
            case 0x94: try memoize(memo.count, try top("MEMOIZE"))  // MEMOIZE
            case 0x68: try recall(Int(try byte()))  // BINGET
            case 0x6A: try recall(Int(try littleEndian(4)))  // LONG_BINGET
            case 0x67: try recall(try textInt(try line()))  // GET (text)

            case 0x63:  // GLOBAL "module\nname\n"
                let module = try line()
                try global(module, try line())
            case 0x93:  // STACK_GLOBAL
                let name = try pop("STACK_GLOBAL")
                let module = try pop("STACK_GLOBAL")
                guard case .string(let m) = module.kind, case .string(let n) = name.kind else {
                    throw PickleError.invalid("STACK_GLOBAL of non-strings", offset: opcodeStart)
                }
                try global(m, n)
            case 0x52: try reduce("REDUCE")  // REDUCE
            case 0x81: try reduce("NEWOBJ")  // NEWOBJ: cls.__new__(cls, *args), kept as a call of cls
            case 0x62:  // BUILD: set the object's state in place, so memo references see it
                let state = try pop("BUILD")
                let object = try top("BUILD")
                let inner = try make(object.kind, object.children)
                object.kind = .build
                object.children = [inner, state]
            case 0x51: try push(.persistentID, [try pop("BINPERSID")])  // BINPERSID
            case 0x50: try push(.persistentID, [try make(.string(try line()))])  // PERSID (text)

            case 0x8F, 0x90, 0x91: throw PickleError.unsupportedOpcode("set", offset: opcodeStart)
            case 0x92: throw PickleError.unsupportedOpcode("NEWOBJ_EX", offset: opcodeStart)
            case 0x82, 0x83, 0x84: throw PickleError.unsupportedOpcode("EXT", offset: opcodeStart)
            case 0x97, 0x98: throw PickleError.unsupportedOpcode("out-of-band buffer", offset: opcodeStart)
            case 0x69, 0x6F: throw PickleError.unsupportedOpcode("INST/OBJ", offset: opcodeStart)
            case 0x53, 0x56: throw PickleError.unsupportedOpcode("text string", offset: opcodeStart)
            default: throw PickleError.unknownOpcode(op, offset: opcodeStart)
            }
        }
        throw PickleError.noStop
    }
}

extension PickleMachine {
    /// Largest standalone pickle file read (the official HMIL split pickles are about 1 MB).
    public static let maximumFileBytes = 1 << 30

    /// Reads a standalone `.pkl` file; errors name the file.
    public func parse(contentsOfFile path: String) throws -> PickleValue {
        let bytes = try FeatureFileBytes.read(path, limit: Self.maximumFileBytes)
        do {
            return try parse(bytes)
        } catch let error as PickleError {
            throw ToolError(error.description, at: path, hint: "expected a pickle written by Python, torch or numpy")
        }
    }
}
