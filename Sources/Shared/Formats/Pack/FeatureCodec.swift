/// Features between f32 in memory and a pack record's feature block (storage dtype, optionally byte-shuffled),
/// in one pass each way: conversion and (un)shuffling are fused so each byte is touched once.
///
/// The half-precision paths run eight lanes at a time with explicit SIMD (then a scalar tail); loads and
/// stores are unaligned-safe, so the block may sit anywhere in its buffer.
enum FeatureCodec {
    /// Writes `count` f32 values from `source` as `dtype` into `destination` (count·width bytes).
    static func encode(
        _ source: UnsafePointer<Float>, count: Int, dtype: StorageDType, shuffle: Bool,
        into destination: UnsafeMutableRawPointer
    ) {
        let input = UnsafeRawPointer(source)
        switch (dtype, shuffle) {
        case (.f32, false):
            destination.copyMemory(from: source, byteCount: count * 4)
        case (.f32, true):
            let bits = input.assumingMemoryBound(to: UInt32.self)
            let plane = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count {
                let b = bits[i]
                plane[i] = UInt8(truncatingIfNeeded: b)
                plane[count + i] = UInt8(truncatingIfNeeded: b >> 8)
                plane[2 * count + i] = UInt8(truncatingIfNeeded: b >> 16)
                plane[3 * count + i] = UInt8(truncatingIfNeeded: b >> 24)
            }
        case (.f16, _), (.bf16, _):
            let half = dtype == .f16
            let vectorEnd = count & ~7
            var i = 0
            while i < vectorEnd {
                let v = input.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
                let h = half ? HalfFloat.f16Bits(v) : HalfFloat.bf16Bits(v)
                if shuffle {
                    destination.storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: h), toByteOffset: i, as: SIMD8<UInt8>.self)
                    destination.storeBytes(
                        of: SIMD8<UInt8>(truncatingIfNeeded: h &>> 8), toByteOffset: count + i,
                        as: SIMD8<UInt8>.self)
                } else {
                    destination.storeBytes(of: h, toByteOffset: 2 * i, as: SIMD8<UInt16>.self)
                }
                i += 8
            }
            while i < count {
                let h = half ? HalfFloat.f16Bits(source[i]) : HalfFloat.bf16Bits(source[i])
                if shuffle {
                    destination.storeBytes(of: UInt8(truncatingIfNeeded: h), toByteOffset: i, as: UInt8.self)
                    destination.storeBytes(of: UInt8(truncatingIfNeeded: h >> 8), toByteOffset: count + i, as: UInt8.self)
                } else {
                    destination.storeBytes(of: h.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                }
                i += 1
            }
        }
    }

    /// Reads `count` elements of `dtype` from `source` into f32 `destination`.
    static func decode(
        _ source: UnsafeRawPointer, count: Int, dtype: StorageDType, shuffle: Bool,
        into destination: UnsafeMutablePointer<Float>
    ) {
        let output = UnsafeMutableRawPointer(destination)
        switch (dtype, shuffle) {
        case (.f32, false):
            output.copyMemory(from: source, byteCount: count * 4)
        case (.f32, true):
            let plane = source.assumingMemoryBound(to: UInt8.self)
            let out = output.assumingMemoryBound(to: UInt32.self)
            for i in 0..<count {
                out[i] =
                    UInt32(plane[i]) | UInt32(plane[count + i]) << 8
                    | UInt32(plane[2 * count + i]) << 16 | UInt32(plane[3 * count + i]) << 24
            }
        case (.f16, _), (.bf16, _):
            let half = dtype == .f16
            let vectorEnd = count & ~7
            var i = 0
            while i < vectorEnd {
                let h: SIMD8<UInt16>
                if shuffle {
                    let low = SIMD8<UInt16>(truncatingIfNeeded: source.loadUnaligned(fromByteOffset: i, as: SIMD8<UInt8>.self))
                    let high = SIMD8<UInt16>(truncatingIfNeeded: source.loadUnaligned(fromByteOffset: count + i, as: SIMD8<UInt8>.self))
                    h = low | high &<< 8
                } else {
                    h = source.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self)
                }
                output.storeBytes(
                    of: half ? HalfFloat.float(f16Bits: h) : HalfFloat.float(bf16Bits: h),
                    toByteOffset: 4 * i, as: SIMD8<Float>.self)
                i += 8
            }
            while i < count {
                let h =
                    shuffle
                    ? UInt16(source.load(fromByteOffset: i, as: UInt8.self)) | UInt16(
                        source.load(fromByteOffset: count + i, as: UInt8.self)) << 8
                    : UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                destination[i] = half ? HalfFloat.float(f16Bits: h) : HalfFloat.float(bf16Bits: h)
                i += 1
            }
        }
    }
}
