/// The part of numpy's legacy `np.random.RandomState` (MT19937) that CLAM's splitter uses, reproduced
/// draw for draw so that `np.random.seed(s)` followed by `np.random.choice(a, n, replace=False)` picks
/// the same elements here as in Python:
///
/// - `seed(s)`: MT19937's `init_genrand` (numpy's `mt19937_seed`; integer seeds 0 … 2³²−1);
/// - `interval(max)`: numpy's `random_interval` (randomkit's `rk_interval`): draw 32 bits (64 when
///   max ≥ 2³²), mask to the smallest all-ones mask ≥ max, reject values > max;
/// - `shuffle`: the legacy Fisher–Yates, `for i in n-1 … 1: j = interval(i); swap(x[i], x[j])`;
/// - `permutation(n)` = shuffle of `0 ..< n`;
/// - `choice(a, size, replace: false)` = `a[permutation(len(a))[:size]]` — the whole population is
///   shuffled even when only a few are taken, which is why every draw must be matched.
///
/// Golden values: `scripts/golden/numpy_random_state.py` → `Tests/SharedTests/Fixtures/Splitting/numpy_random_state.json`.
public struct NumpyRandomState: Sendable {
    private static let n = 624, m = 397
    private var key = [UInt32](repeating: 0, count: NumpyRandomState.n)
    private var position = NumpyRandomState.n

    /// `np.random.RandomState(seed)` / `np.random.seed(seed)`.
    public init(seed: UInt32) {
        var s = seed
        for i in 0..<Self.n {
            key[i] = s
            s = 1_812_433_253 &* (s ^ (s >> 30)) &+ UInt32(i + 1)
        }
        position = Self.n
    }

    /// MT19937's next 32-bit output (`genrand_int32`).
    public mutating func nextUInt32() -> UInt32 {
        if position == Self.n { regenerate() }
        var y = key[position]
        position += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// numpy's `mt19937_next64`: high word first.
    public mutating func nextUInt64() -> UInt64 {
        let high = UInt64(nextUInt32())
        return high << 32 | UInt64(nextUInt32())
    }

    private mutating func regenerate() {
        let upper: UInt32 = 0x8000_0000
        let lower: UInt32 = 0x7FFF_FFFF
        let matrixA: UInt32 = 0x9908_B0DF
        for i in 0..<Self.n {
            let y = (key[i] & upper) | (key[(i + 1) % Self.n] & lower)
            key[i] = key[(i + Self.m) % Self.n] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : matrixA)
        }
        position = 0
    }

    /// A uniform integer in `0 ... max` by masked rejection (numpy's `random_interval`).
    public mutating func interval(_ max: UInt64) -> UInt64 {
        if max == 0 { return 0 }
        var mask = max
        mask |= mask >> 1
        mask |= mask >> 2
        mask |= mask >> 4
        mask |= mask >> 8
        mask |= mask >> 16
        mask |= mask >> 32
        if max <= 0xFFFF_FFFF {
            while true {
                let value = UInt64(nextUInt32()) & mask
                if value <= max { return value }
            }
        }
        while true {
            let value = nextUInt64() & mask
            if value <= max { return value }
        }
    }

    /// In-place legacy shuffle of a one-dimensional array.
    public mutating func shuffle<T>(_ x: inout [T]) {
        guard x.count > 1 else { return }
        for i in stride(from: x.count - 1, through: 1, by: -1) {
            let j = Int(interval(UInt64(i)))
            x.swapAt(i, j)
        }
    }

    /// `permutation(n)`: a shuffled `0 ..< n`.
    public mutating func permutation(_ n: Int) -> [Int] {
        var indices = Array(0..<n)
        shuffle(&indices)
        return indices
    }

    /// `choice(population, size, replace=False)`; `size` must not exceed the population.
    public mutating func choiceWithoutReplacement<T>(_ population: [T], size: Int) -> [T] {
        precondition(size >= 0 && size <= population.count, "choice: size \(size) of \(population.count)")
        return permutation(population.count).prefix(size).map { population[$0] }
    }
}
