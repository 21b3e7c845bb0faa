/// f32 ↔ f16 / bf16 as bit arithmetic with selects instead of branches, so the loops over a bag vectorise.
/// (Swift's `Float16(x)` calls a compiler-rt routine per element on x86 builds without F16C.)
/// Rounding is to nearest, ties to even; overflow gives ±Inf; NaN stays NaN (quiet); subnormals are exact.
/// The tests check these against `Float16` on sweeps of all f32 bit patterns.
public enum HalfFloat {
    /// f32 → IEEE binary16 bits (after F. Giesen's float_to_half_fast3_rtne).
    @inline(__always)
    public static func f16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = bits & 0x8000_0000
        let magnitude = bits ^ sign
        // ≥ 65520 (2^16 before rounding) → Inf; NaN → quiet NaN.
        let special: UInt32 = magnitude > 0x7F80_0000 ? 0x7E00 : 0x7C00
        // Below 2^-14 the result is subnormal: adding 0.5 lines the 10 mantissa bits up at the bottom
        // of the f32 mantissa, and the FPU's own round-to-nearest-even does the rounding.
        let denormMagic: UInt32 = 126 << 23
        let subnormal = (Float(bitPattern: magnitude) + Float(bitPattern: denormMagic)).bitPattern &- denormMagic
        // Normal: rebias the exponent, add 0x0FFF plus the lowest kept bit (ties to even), truncate.
        let odd = (magnitude >> 13) & 1
        let normal = (magnitude &+ 0xC800_0FFF &+ odd) >> 13
        let result = magnitude >= 0x4780_0000 ? special : (magnitude < 0x3880_0000 ? subnormal : normal)
        return UInt16(truncatingIfNeeded: result | (sign >> 16))
    }

    /// IEEE binary16 bits → f32 (exact).
    @inline(__always)
    public static func float(f16Bits half: UInt16) -> Float {
        let h = UInt32(half)
        let shifted = (h & 0x7FFF) << 13
        let exponent = shifted & 0x0F80_0000
        let normal = shifted &+ 0x3800_0000  // rebias 15 → 127
        let special = shifted | 0x7F80_0000  // Inf, NaN with its payload
        // Subnormal m·2^-24: build 2^-14·(1 + m/1024) and subtract 2^-14, all in normal numbers
        // (multiplying a denormal would be exact too, but takes x86's slow microcode path).
        let subnormal = (Float(bitPattern: shifted &+ 0x3880_0000) - Float(bitPattern: 0x3880_0000)).bitPattern
        let magnitude = exponent == 0x0F80_0000 ? special : (exponent == 0 ? subnormal : normal)
        return Float(bitPattern: magnitude | ((h & 0x8000) << 16))
    }

    /// f32 → bfloat16 bits (the top half of the f32, rounded to nearest even).
    @inline(__always)
    public static func bf16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16
        // A NaN whose payload sits in the low half would round to Inf or wrap: keep it a quiet NaN.
        let isNaN = (bits & 0x7FFF_FFFF) > 0x7F80_0000
        return UInt16(truncatingIfNeeded: isNaN ? (bits >> 16) | 0x0040 : rounded)
    }

    /// bfloat16 bits → f32 (exact).
    @inline(__always)
    public static func float(bf16Bits half: UInt16) -> Float {
        Float(bitPattern: UInt32(half) << 16)
    }
}

/// The same conversions on eight lanes at once. The scalar forms do not vectorise reliably, and Swift's
/// SIMD comparisons and `replace(with:where:)` compile to per-lane loops, so these build their masks
/// from arithmetic shifts of differences (`(a - b) >> 31` is all ones exactly when a < b, for the
/// non-negative 31-bit values used here) and select with and/or; all of it lowers to SSE2.
extension HalfFloat {
    /// Lanes of `a` where `mask` is all ones, else of `b`.
    @inline(__always)
    private static func select(_ mask: SIMD8<Int32>, _ a: SIMD8<Int32>, _ b: SIMD8<Int32>) -> SIMD8<Int32> {
        (a & mask) | (b & ~mask)
    }

    /// All ones where a < b (both in 0 ... Int32.max).
    @inline(__always)
    private static func less(_ a: SIMD8<Int32>, _ b: Int32) -> SIMD8<Int32> { (a &- b) &>> 31 }

    @inline(__always)
    private static func greater(_ a: SIMD8<Int32>, _ b: Int32) -> SIMD8<Int32> { (b &- a) &>> 31 }

    @inline(__always)
    static func f16Bits(_ value: SIMD8<Float>) -> SIMD8<UInt16> {
        let bits = unsafeBitCast(value, to: SIMD8<Int32>.self)
        let magnitude = bits & 0x7FFF_FFFF
        let sign = bits ^ magnitude
        let special = select(greater(magnitude, 0x7F80_0000), SIMD8(repeating: 0x7E00), SIMD8(repeating: 0x7C00))
        let denormMagic: Int32 = 126 << 23
        let shifted = unsafeBitCast(magnitude, to: SIMD8<Float>.self) + Float(bitPattern: UInt32(denormMagic))
        let subnormal = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- denormMagic
        let normal = (magnitude &+ Int32(bitPattern: 0xC800_0FFF) &+ ((magnitude &>> 13) & 1)) &>> 13
        var result = select(less(magnitude, 0x3880_0000), subnormal, normal)
        result = select(~less(magnitude, 0x4780_0000), special, result)
        return SIMD8<UInt16>(truncatingIfNeeded: result | (sign &>> 16))
    }

    @inline(__always)
    static func float(f16Bits half: SIMD8<UInt16>) -> SIMD8<Float> {
        let h = SIMD8<Int32>(truncatingIfNeeded: half) & 0xFFFF
        let shifted = (h & 0x7FFF) &<< 13
        let exponent = shifted & 0x0F80_0000
        let subnormal = unsafeBitCast(
            unsafeBitCast(shifted &+ 0x3880_0000, to: SIMD8<Float>.self)
                - Float(bitPattern: 0x3880_0000), to: SIMD8<Int32>.self)
        var magnitude = select(less(exponent, 1), subnormal, shifted &+ 0x3800_0000)
        magnitude = select(~less(exponent, 0x0F80_0000), shifted | 0x7F80_0000, magnitude)
        return unsafeBitCast(magnitude | ((h & 0x8000) &<< 16), to: SIMD8<Float>.self)
    }

    @inline(__always)
    static func bf16Bits(_ value: SIMD8<Float>) -> SIMD8<UInt16> {
        let bits = unsafeBitCast(value, to: SIMD8<Int32>.self)
        // Only the low 16 bits of each lane are kept, so arithmetic shifts do as well as logical ones.
        let rounded = (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16
        let isNaN = greater(bits & 0x7FFF_FFFF, 0x7F80_0000)
        return SIMD8<UInt16>(truncatingIfNeeded: select(isNaN, (bits &>> 16) | 0x0040, rounded))
    }

    @inline(__always)
    static func float(bf16Bits half: SIMD8<UInt16>) -> SIMD8<Float> {
        unsafeBitCast((SIMD8<Int32>(truncatingIfNeeded: half) & 0xFFFF) &<< 16, to: SIMD8<Float>.self)
    }
}
