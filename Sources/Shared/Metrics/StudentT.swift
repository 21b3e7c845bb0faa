#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Student's t distribution with ν degrees of freedom: the CDF through the regularized incomplete beta
/// function, the quantile by bisection on it. Used for the t-interval of a mean (PairedDifference);
/// golden values: scipy.stats.t.ppf (Tests/Parity/paired_statistics_reference.py).
public enum StudentT {
    /// P(T ≤ t). For t > 0, P(T > t) = I_x(ν/2, 1/2) / 2 with x = ν / (ν + t²).
    public static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0, "degrees of freedom must be positive")
        if t.isNaN { return .nan }
        if t == 0 { return 0.5 }
        if t.isInfinite { return t > 0 ? 1 : 0 }
        // For large |t|, x is tiny and the upper tail is accurate; for small |t|, use 1 − x to keep digits.
        let t2 = t * t
        let tail: Double
        if t2 > nu {
            tail = 0.5 * RegularizedBeta.value(nu / (nu + t2), a: nu / 2, b: 0.5)
        } else {
            tail = 0.5 * (1 - RegularizedBeta.value(t2 / (nu + t2), a: 0.5, b: nu / 2))
        }
        return t > 0 ? 1 - tail : tail
    }

    /// The t with P(T ≤ t) = p, for 0 < p < 1 (e.g. p = 0.975 for a two-sided 95 % interval).
    public static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(p > 0 && p < 1, "p must lie in (0, 1)")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -quantile(1 - p, degreesOfFreedom: nu) }
        // Bracket, then bisect to the last bit: the CDF is increasing, so this converges whatever ν.
        var low = 0.0
        var high = 1.0
        while cdf(high, degreesOfFreedom: nu) < p {
            low = high
            high *= 2
        }
        for _ in 0..<200 {
            let mid = 0.5 * (low + high)
            if mid <= low || mid >= high { break }
            if cdf(mid, degreesOfFreedom: nu) < p { low = mid } else { high = mid }
        }
        return 0.5 * (low + high)
    }
}

/// The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b), by the continued fraction
/// of Numerical Recipes (3rd ed., §6.4, modified Lentz), on whichever side of the mean converges fast.
enum RegularizedBeta {
    static func value(_ x: Double, a: Double, b: Double) -> Double {
        precondition(a > 0 && b > 0)
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        // x^a (1−x)^b / (a B(a, b)), in logs to avoid overflow.
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * continuedFraction(1 - x, a: b, b: a) / b
    }

    private static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        let epsilon = 1e-16
        let qab = a + b
        let qap = a + 1
        let qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m)
            let m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            h *= step
            if abs(step - 1) < epsilon { break }
        }
        return h
    }
}
