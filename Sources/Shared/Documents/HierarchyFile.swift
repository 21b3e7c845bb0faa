import Foundation

/// Reading a hierarchy file in the forms DESIGN §2.1 accepts:
///
/// 1. hmil's JSON: `{"coarse": [...], "fine": [...], "parent": {"fine": "coarse"}}`;
/// 2. the official HMIL config as JSON: `{"label_list": ["N", ...], "mapping": "0:0, 1:0, ...",
///    "coarse": ["benign", ...] (optional), "n_class": [3, 7] (optional)}`;
/// 3. the official HMIL config file itself (`configs/config_example.py`, a yacs node), from which the
///    `label_list`, `mapping` and `n_class` assignments are read as literals (nothing is executed).
///
/// The mapping string maps fine index → coarse index, as the official `DatasetConfig` parses it.
/// Without coarse names the coarse classes are named by their index ("0", "1", ...), as the official
/// code knows them only by index.
extension Hierarchy {
    /// Largest hierarchy file accepted.
    public static let maximumFileBytes = 1 << 20

    public static func load(path: String) throws -> Hierarchy {
        try parse(try LabelsCSV.readFile(path, what: "hierarchy file", limit: maximumFileBytes), source: path)
    }

    /// Parses and validates a hierarchy in any accepted form.
    public static func parse(_ bytes: [UInt8], source: String) throws -> Hierarchy {
        let text = String(decoding: bytes, as: UTF8.self)
        let trimmed = text.drop { $0.isWhitespace }
        if trimmed.isEmpty { throw ToolError("empty hierarchy file", at: source) }
        let hierarchy: Hierarchy
        if trimmed.first == "{" {
            let form = try DocumentIO.decode(HierarchyJSON.self, from: Data(bytes), source: source)
            hierarchy = try form.hierarchy(source: source)
        } else {
            hierarchy = try parseHMILConfig(text, source: source)
        }
        try hierarchy.validate(source: source)
        return hierarchy
    }

    /// The official HMIL form: `labelList[j]` is fine class j, `mapping` is `"j:k, ..."` (fine j → coarse k).
    public init(
        labelList: [String], mapping: String, coarseNames: [String]? = nil, coarseCount: Int? = nil,
        source: String
    ) throws {
        var parentOf: [Int: Int] = [:]
        for pair in mapping.split(separator: ",") {
            let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let fine = Int(parts[0]), let coarse = Int(parts[1]) else {
                throw ToolError(
                    "mapping entry '\(pair.trimmingCharacters(in: .whitespaces))' is not 'fine:coarse'",
                    at: source, hint: "write the mapping as \"0:0, 1:0, 2:1\"")
            }
            guard labelList.indices.contains(fine) else {
                throw ToolError("mapping names fine index \(fine), but label_list has \(labelList.count) labels", at: source)
            }
            guard coarse >= 0 else { throw ToolError("mapping gives fine index \(fine) a negative coarse index", at: source) }
            if parentOf.updateValue(coarse, forKey: fine) != nil {
                throw ToolError("mapping lists fine index \(fine) twice", at: source)
            }
        }
        for (index, label) in labelList.enumerated() where parentOf[index] == nil {
            throw ToolError(
                "fine label '\(label)' (index \(index)) has no parent in the mapping", at: source,
                hint: "add \"\(index):<coarse index>\" to the mapping")
        }
        let count = coarseNames?.count ?? coarseCount ?? ((parentOf.values.max() ?? -1) + 1)
        if let coarseCount, coarseCount != count {
            throw ToolError("n_class says \(coarseCount) coarse classes but \(count) coarse names are given", at: source)
        }
        if let highest = parentOf.values.max(), highest >= count {
            throw ToolError("mapping names coarse index \(highest), but there are \(count) coarse classes", at: source)
        }
        let names = coarseNames ?? (0..<count).map(String.init)
        var parent: [String: String] = [:]
        for (index, label) in labelList.enumerated() { parent[label] = names[parentOf[index]!] }
        self.init(coarse: names, fine: labelList, parent: parent)
    }

    /// Reads `label_list`, `mapping` and `n_class` assignments out of a yacs config file.
    static func parseHMILConfig(_ text: String, source: String) throws -> Hierarchy {
        var labelList: [String]?
        var mapping: String?
        var nClass: [Int]?
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            let key = name.split(separator: ".").last.map(String.init) ?? name
            guard ["label_list", "mapping", "n_class"].contains(key) else { continue }
            var literal = PythonLiteral(line[line.index(after: equals)...], source: "\(source), line \(number + 1)")
            switch key {
            case "label_list": labelList = try literal.stringList()
            case "mapping": mapping = try literal.string()
            default: nClass = try literal.intList()
            }
        }
        guard let labelList, let mapping else {
            throw ToolError(
                "not a hierarchy: neither JSON nor an HMIL config with label_list and mapping", at: source,
                hint: "give {\"coarse\": [...], \"fine\": [...], \"parent\": {...}} or the official config")
        }
        if let nClass, nClass.count == 2, nClass[1] != labelList.count {
            throw ToolError("n_class says \(nClass[1]) fine classes but label_list has \(labelList.count)", at: source)
        }
        return try Hierarchy(labelList: labelList, mapping: mapping, coarseCount: nClass?.first, source: source)
    }
}

/// Either JSON form of the hierarchy file.
private struct HierarchyJSON: Decodable {
    var coarse: [String]?
    var fine: [String]?
    var parent: [String: String]?
    var labelList: [String]?
    var mapping: String?
    var nClass: [Int]?

    enum CodingKeys: String, CodingKey {
        case coarse, fine, parent
        case labelList = "label_list"
        case mapping
        case nClass = "n_class"
    }

    func hierarchy(source: String) throws -> Hierarchy {
        if let labelList, let mapping {
            if let nClass, nClass.count == 2, nClass[1] != labelList.count {
                throw ToolError("n_class says \(nClass[1]) fine classes but label_list has \(labelList.count)", at: source)
            }
            return try Hierarchy(
                labelList: labelList, mapping: mapping, coarseNames: coarse,
                coarseCount: nClass?.first, source: source)
        }
        guard let coarse, let fine else {
            throw ToolError(
                "hierarchy needs \"coarse\", \"fine\" and \"parent\" (or \"label_list\" and \"mapping\")",
                at: source)
        }
        return Hierarchy(coarse: coarse, fine: fine, parent: parent ?? [:])
    }
}

/// Just enough of Python's literal syntax for a config line: a quoted string, or a list of quoted
/// strings or integers, followed by an optional comment.
private struct PythonLiteral {
    private var characters: [Character]
    private var position = 0
    private let source: String

    init(_ text: Substring, source: String) {
        characters = Array(text)
        self.source = source
    }

    mutating func string() throws -> String {
        skipSpaces()
        let value = try quoted()
        try end()
        return value
    }

    mutating func stringList() throws -> [String] { try list { try $0.quoted() } }

    mutating func intList() throws -> [Int] {
        try list { literal in
            var digits = ""
            while literal.position < literal.characters.count, literal.characters[literal.position].isNumber {
                digits.append(literal.characters[literal.position])
                literal.position += 1
            }
            guard let value = Int(digits) else { throw literal.error("expected an integer") }
            return value
        }
    }

    private mutating func list<T>(_ element: (inout PythonLiteral) throws -> T) throws -> [T] {
        skipSpaces()
        guard next() == "[" else { throw error("expected a list '[...]'") }
        var values: [T] = []
        skipSpaces()
        if peek() == "]" {
            position += 1
        } else {
            while true {
                skipSpaces()
                if peek() == "]" {
                    position += 1
                    break
                }  // trailing comma
                values.append(try element(&self))
                skipSpaces()
                let separator = next()
                if separator == "]" { break }
                guard separator == "," else { throw error("expected ',' or ']' in the list") }
            }
        }
        try end()
        return values
    }

    private mutating func quoted() throws -> String {
        guard let open = next(), open == "'" || open == "\"" else { throw error("expected a quoted string") }
        var value = ""
        while let c = next() {
            if c == open { return value }
            if c == "\\" { throw error("escapes in strings are not supported") }
            value.append(c)
        }
        throw error("string never closed")
    }

    private mutating func end() throws {
        skipSpaces()
        guard position == characters.count || characters[position] == "#" else {
            throw error("unexpected text after the value")
        }
    }

    private mutating func skipSpaces() {
        while position < characters.count, characters[position].isWhitespace { position += 1 }
    }

    private func peek() -> Character? { position < characters.count ? characters[position] : nil }

    private mutating func next() -> Character? {
        defer { position += 1 }
        return peek()
    }

    private func error(_ what: String) -> ToolError {
        ToolError("cannot read config value: \(what)", at: source, hint: "write it as a Python literal")
    }
}
