import Shared
import XCTest

/// The branch-free conversions against references: Swift's `Float16(Float)` (IEEE round-to-nearest-even)
/// for f16, a rounding written out in Double arithmetic for bf16.
final class HalfFloatTests: XCTestCase {
    /// f32 bit patterns: a stride through all 2^32 plus the neighbourhood of every f16/bf16 rounding boundary.
    private func sweep(_ body: (Float) -> Void) {
        var bits: UInt64 = 0
        while bits <= UInt64(UInt32.max) {
            body(Float(bitPattern: UInt32(bits)))
            bits += 1021
        }
        for exponent: UInt32 in 0..<256 {
            for low: UInt32 in [
                0, 1, 0x0FFF, 0x1000, 0x1001, 0x1FFF, 0x2000, 0x3000, 0x7FFF, 0x8000, 0x8001, 0xFFFF, 0x10000, 0x18000, 0x7FFFFF
            ] {
                body(Float(bitPattern: exponent << 23 | low))
                body(Float(bitPattern: 0x8000_0000 | exponent << 23 | low))
            }
        }
    }

    func testF16EncodeMatchesIEEERounding() {
        var mismatches = 0
        sweep { x in
            let expected = Float16(x)
            let got = Float16(bitPattern: HalfFloat.f16Bits(x))
            if x.isNaN ? !got.isNaN : got.bitPattern != expected.bitPattern {
                if mismatches < 5 {
                    XCTFail(
                        "f16(\(x) = 0x\(String(x.bitPattern, radix: 16))): got 0x\(String(got.bitPattern, radix: 16)), want 0x\(String(expected.bitPattern, radix: 16))"
                    )
                }
                mismatches += 1
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testF16DecodeIsExactForEveryPattern() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = HalfFloat.float(f16Bits: bits)
            if expected.isNaN {
                XCTAssertTrue(got.isNaN, "0x\(String(bits, radix: 16))")
            } else {
                XCTAssertEqual(got.bitPattern, expected.bitPattern, "0x\(String(bits, radix: 16))")
            }
        }
    }

    func testF16NamedCases() {
        XCTAssertEqual(HalfFloat.f16Bits(1 + 0x1p-11), 0x3C00)  // tie, even below
        XCTAssertEqual(HalfFloat.f16Bits(1 + 3 * 0x1p-11), 0x3C02)  // tie, even above
        XCTAssertEqual(HalfFloat.f16Bits(65504), 0x7BFF)  // largest finite
        XCTAssertEqual(HalfFloat.f16Bits(65519.99), 0x7BFF)
        XCTAssertEqual(HalfFloat.f16Bits(65520), 0x7C00)  // rounds to Inf
        XCTAssertEqual(HalfFloat.f16Bits(-.infinity), 0xFC00)
        XCTAssertEqual(HalfFloat.f16Bits(0x1p-24), 0x0001)  // smallest subnormal
        XCTAssertEqual(HalfFloat.f16Bits(0x1p-25), 0x0000)  // tie to even (zero)
        XCTAssertEqual(HalfFloat.f16Bits(0x1.8p-24), 0x0002)  // tie to even (2)
        XCTAssertEqual(HalfFloat.f16Bits(-0.0), 0x8000)
        XCTAssertEqual(HalfFloat.f16Bits(.leastNonzeroMagnitude), 0x0000)  // f32 subnormal
        XCTAssertTrue(Float16(bitPattern: HalfFloat.f16Bits(.nan)).isNaN)
        XCTAssertTrue(Float16(bitPattern: HalfFloat.f16Bits(Float(bitPattern: 0x7F80_0001))).isNaN)  // NaN payload only in dropped bits
        XCTAssertEqual(HalfFloat.float(f16Bits: 0x0001), 0x1p-24)
        XCTAssertEqual(HalfFloat.float(f16Bits: 0x8000).bitPattern, (-0.0 as Float).bitPattern)
    }

    /// Round to nearest, ties to even, of |x| to 8 significant bits in the exponent range of f32.
    private func bf16Reference(_ x: Float) -> UInt16 {
        if x.isNaN { return 0x7FC0 }
        let sign: UInt16 = x.sign == .minus ? 0x8000 : 0
        let magnitude = abs(x)
        if magnitude.isInfinite { return sign | 0x7F80 }
        let lowerBits = magnitude.bitPattern & 0xFFFF_0000
        let lower = Double(Float(bitPattern: lowerBits))
        let exponent = Int(lowerBits >> 23)
        let ulp = exponent == 0 ? 0x1p-133 : Double(sign: .plus, exponent: exponent - 127 - 7, significand: 1)
        let distanceDown = Double(magnitude) - lower
        let distanceUp = lower + ulp - Double(magnitude)
        let roundUp = distanceUp < distanceDown || (distanceUp == distanceDown && (lowerBits >> 16) & 1 == 1)
        return sign | UInt16(lowerBits >> 16) + (roundUp ? 1 : 0)
    }

    func testBF16EncodeMatchesReference() {
        var mismatches = 0
        sweep { x in
            let got = HalfFloat.bf16Bits(x)
            let ok = x.isNaN ? HalfFloat.float(bf16Bits: got).isNaN : got == bf16Reference(x)
            if !ok {
                if mismatches < 5 {
                    XCTFail(
                        "bf16(0x\(String(x.bitPattern, radix: 16))): got 0x\(String(got, radix: 16)), want 0x\(String(bf16Reference(x), radix: 16))"
                    )
                }
                mismatches += 1
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testBF16NamedCases() {
        XCTAssertEqual(HalfFloat.bf16Bits(1 + 0x1p-8), 0x3F80)  // tie, even below
        XCTAssertEqual(HalfFloat.bf16Bits(1 + 3 * 0x1p-8), 0x3F82)  // tie, even above
        XCTAssertEqual(HalfFloat.bf16Bits(.greatestFiniteMagnitude), 0x7F80)  // rounds to Inf
        XCTAssertEqual(HalfFloat.bf16Bits(.leastNonzeroMagnitude), 0x0000)
        XCTAssertEqual(HalfFloat.bf16Bits(Float(bitPattern: 0x0000_8001)), 0x0001)
        XCTAssertTrue(HalfFloat.float(bf16Bits: HalfFloat.bf16Bits(Float(bitPattern: 0x7F80_0001))).isNaN)
        XCTAssertTrue(HalfFloat.float(bf16Bits: HalfFloat.bf16Bits(Float(bitPattern: 0xFFFF_FFFF))).isNaN)
        for bits in 0...UInt16.max where !HalfFloat.float(bf16Bits: bits).isNaN {
            XCTAssertEqual(HalfFloat.bf16Bits(HalfFloat.float(bf16Bits: bits)), bits)
        }
    }
}

/// The pack's bulk conversions (eight lanes at a time, then a scalar tail) against the same references,
/// through a pack round trip of the whole sweep.
final class HalfFloatVectorPathTests: XCTestCase {
    func testPackedSweepMatchesReferences() throws {
        var values: [Float] = []
        var bits: UInt64 = 0
        while bits <= UInt64(UInt32.max) {
            values.append(Float(bitPattern: UInt32(bits)))
            bits += 4093
        }
        for exponent: UInt32 in 0..<256 {
            for low: UInt32 in [0, 1, 0x0FFF, 0x1000, 0x1001, 0x2000, 0x3000, 0x7FFF, 0x8000, 0x8001, 0x18000, 0x7FFFFF] {
                values += [Float(bitPattern: exponent << 23 | low), Float(bitPattern: 0x8000_0000 | exponent << 23 | low)]
            }
        }
        values += [1, 2, 3]  // an odd count leaves a scalar tail
        let bag = Bag(slideID: "sweep", instanceCount: values.count, featureDim: 1, features: values)
        let folder = PackTestSupport.temporaryFolder()
        for dtype in [StorageDType.f16, .bf16] {
            for shuffle in [false, true] {
                let path = try PackTestSupport.writePack(
                    [bag], dim: 1, options: .init(dtype: dtype, compressionLevel: 1, byteShuffle: shuffle), in: folder)
                let back = try PackReader(path: path).readBag("sweep").features
                var mismatches = 0
                for (x, y) in zip(values, back) {
                    let want: Float = dtype == .f16 ? Float(Float16(x)) : HalfFloat.float(bf16Bits: HalfFloat.bf16Bits(x))
                    if x.isNaN ? !y.isNaN : y.bitPattern != want.bitPattern {
                        if mismatches < 5 {
                            XCTFail("\(dtype) shuffle \(shuffle): 0x\(String(x.bitPattern, radix: 16)) → \(y), want \(want)")
                        }
                        mismatches += 1
                    }
                }
                XCTAssertEqual(mismatches, 0)
            }
        }
    }
}
