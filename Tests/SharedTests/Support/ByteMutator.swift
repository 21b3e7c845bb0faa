/// A seeded byte mutator for crash-freedom loops: flips, overwrites with interesting values,
/// truncates, duplicates and deletes ranges.
struct ByteMutator {
    var state: UInt64

    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        // splitmix64
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0...below(4) {
            guard !bytes.isEmpty else { return bytes }
            let at = below(bytes.count)
            switch below(6) {
            case 0: bytes[at] ^= UInt8(1 << below(8))
            case 1: bytes[at] = [0x00, 0xFF, 0x7F, 0x80, 0x28, 0x2E, 0x68, 0x71][below(8)]
            case 2: bytes.removeSubrange(at...)
            case 3:
                let end = min(bytes.count, at + 1 + below(16))
                bytes.removeSubrange(at..<end)
            case 4:
                let end = min(bytes.count, at + 1 + below(16))
                bytes.insert(contentsOf: bytes[at..<end], at: below(bytes.count))
            default:
                for i in at..<min(bytes.count, at + 4) { bytes[i] = 0xFF }
            }
        }
        return bytes
    }
}
