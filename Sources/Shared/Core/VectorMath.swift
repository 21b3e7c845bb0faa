/// Vectorised exp, tanh and sigmoid over 8 floats at a time (`SIMD8<Float>`). The gated attention
/// evaluates N×(256+64)×2 of them per bag; libm's scalar tanhf would cost as much as the products around it.
/// Accuracy: a few ulp (Cephes single-precision polynomials), checked against libm in the tests.

@inline(__always)
public func vexp(_ input: SIMD8<Float>) -> SIMD8<Float> {
    // exp(x) = 2^n · exp(r), n = round(x·log2 e), r = x − n·ln 2 (ln 2 split hi/lo for precision).
    // Clamp with selects: SIMD's clamped/pointwiseMin are generic calls that do not inline here.
    let low = SIMD8<Float>(repeating: -87.3)
    let high = SIMD8<Float>(repeating: 88.3)
    let x = input.replacing(with: low, where: input .< low).replacing(with: high, where: input .> high)
    // Adding 1.5·2^23 rounds to the nearest integer and leaves it in the low mantissa bits, which
    // avoids a float→int conversion (Swift's generic SIMD conversion is scalar, lane by lane).
    let magic: Float = 12_582_912
    let shifted = x * 1.442_695_04 + magic
    let n = shifted - magic
    var r = x - n * 0.693_359_375
    r = r - n * -2.121_944_4e-4
    let r2 = r * r
    var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_12e-1
    let er = p * r2 + r + 1
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    return er * unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)
}

@inline(__always)
public func vsigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
    1 / (1 + vexp(-x))
}

@inline(__always)
public func vtanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Small |x|: odd polynomial (no cancellation); otherwise 1 − 2/(e^{2|x|} + 1) with the sign put back.
    let ax = x.replacing(with: -x, where: x .< 0)
    let z = x * x
    var p = SIMD8<Float>(repeating: -5.704_988_72e-3)
    p = p * z + 2.063_908_88e-2
    p = p * z - 5.373_971_56e-2
    p = p * z + 1.333_144_22e-1
    p = p * z - 3.333_328_19e-1
    let small = p * z * x + x
    let large = 1 - 2 / (vexp(2 * ax) + 1)
    let signed = large.replacing(with: -large, where: x .< 0)
    return signed.replacing(with: small, where: ax .< 0.625)
}

/// Applies `f` to `count` floats in place, 8 at a time (the tail goes through a padded vector).
@inline(__always)
func applyVectorised(_ p: UnsafeMutablePointer<Float>, count: Int, _ f: (SIMD8<Float>) -> SIMD8<Float>) {
    var i = 0
    while i + 8 <= count {
        let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(p + i).storeBytes(of: f(v), as: SIMD8<Float>.self)
        i += 8
    }
    if i < count {
        var v = SIMD8<Float>()
        for j in 0..<(count - i) { v[j] = p[i + j] }
        let r = f(v)
        for j in 0..<(count - i) { p[i + j] = r[j] }
    }
}

/// y[i] ← 0 + x[i] over `count` floats: a copy that turns −0 into +0, i.e. bit for bit what adding x to
/// a zeroed y gives (how gradients reached Parameter.gradient before `MILModel.setGradients`).
func copyAddingZero(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(y + i).storeBytes(of: SIMD8<Float>() + v, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count {
        y[i] = 0 + x[i]
        i += 1
    }
}

/// Scalar entry points (tests, small vectors).
public func fastExp(_ x: Float) -> Float { vexp(SIMD8<Float>(repeating: x))[0] }
public func fastTanh(_ x: Float) -> Float { vtanh(SIMD8<Float>(repeating: x))[0] }
public func fastSigmoid(_ x: Float) -> Float { vsigmoid(SIMD8<Float>(repeating: x))[0] }
