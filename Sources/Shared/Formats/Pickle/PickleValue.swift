/// What a pickle describes, as a tree the caller interprets: the restricted pickle machine
/// (`PickleMachine`) builds it and executes nothing. Calls (`reduce`), object state (`build`) and
/// references to out-of-band data (`persistentID`, e.g. torch storages) stay symbolic.
public indirect enum PickleValue: Equatable, Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// Key/value pairs in pickle order (a dict or an `collections.OrderedDict`).
    case dict([PickleEntry])
    /// A class or function named by module and qualified name; only allow-listed names get here.
    case global(module: String, name: String)
    /// `callable(*arguments)`; `arguments` is a tuple.
    case reduce(callable: PickleValue, arguments: PickleValue)
    /// `object.__setstate__(state)`.
    case build(object: PickleValue, state: PickleValue)
    /// A reference the pickler left to its caller (torch: `('storage', type, key, location, numel)`).
    case persistentID(PickleValue)
}

public struct PickleEntry: Equatable, Sendable {
    public var key: PickleValue
    public var value: PickleValue

    public init(key: PickleValue, value: PickleValue) {
        self.key = key
        self.value = value
    }
}

extension PickleValue {
    /// The value under a string key of a dict, nil when this is not a dict or the key is absent.
    public subscript(key: String) -> PickleValue? {
        guard case .dict(let entries) = self else { return nil }
        return entries.first { $0.key == .string(key) }?.value
    }

    /// The items of a list or tuple.
    public var items: [PickleValue]? {
        switch self {
        case .list(let items), .tuple(let items): return items
        default: return nil
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// `module.name` when this is a global.
    public var globalName: String? {
        if case .global(let module, let name) = self { return module + "." + name }
        return nil
    }

    /// A short description for error messages ("list of 3", "global torch.FloatStorage").
    public var kindDescription: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .list(let v): return "list of \(v.count)"
        case .tuple(let v): return "tuple of \(v.count)"
        case .dict(let v): return "dict of \(v.count)"
        case .global(let m, let n): return "global \(m).\(n)"
        case .reduce(let c, _): return "call of \(c.kindDescription)"
        case .build(let o, _): return "built \(o.kindDescription)"
        case .persistentID: return "persistent id"
        }
    }
}
