/// Why a pickle was refused. Offsets are byte positions in the pickle stream.
public enum PickleError: Error, Equatable, CustomStringConvertible {
    case truncated(offset: Int)
    case unknownOpcode(UInt8, offset: Int)
    /// A real pickle opcode the restricted machine does not accept (e.g. INST, EXT1, out-of-band buffers).
    case unsupportedOpcode(String, offset: Int)
    case globalNotAllowed(module: String, name: String, offset: Int)
    case stackUnderflow(opcode: String, offset: Int)
    case missingMark(opcode: String, offset: Int)
    case missingMemo(index: Int, offset: Int)
    case invalid(String, offset: Int)
    /// A limit (stack, memo, nodes, nesting) that keeps hostile input from exhausting memory.
    case limitExceeded(String, limit: Int, offset: Int)
    case cycle
    case noStop

    public var description: String {
        switch self {
        case .truncated(let o): return "pickle ends early at byte \(o)"
        case .unknownOpcode(let op, let o): return "unknown pickle opcode 0x\(String(op, radix: 16)) at byte \(o)"
        case .unsupportedOpcode(let name, let o): return "pickle opcode \(name) is not accepted (byte \(o))"
        case .globalNotAllowed(let m, let n, let o):
            return "pickle refers to \(m).\(n), which is not a torch/numpy global this reader knows (byte \(o))"
        case .stackUnderflow(let name, let o): return "pickle stack underflow in \(name) at byte \(o)"
        case .missingMark(let name, let o): return "pickle \(name) without a MARK at byte \(o)"
        case .missingMemo(let i, let o): return "pickle memo entry \(i) not set (byte \(o))"
        case .invalid(let what, let o): return "invalid pickle: \(what) at byte \(o)"
        case .limitExceeded(let what, let limit, let o): return "pickle exceeds the \(what) limit of \(limit) at byte \(o)"
        case .cycle: return "pickle contains a reference cycle"
        case .noStop: return "pickle has no STOP opcode"
        }
    }
}
