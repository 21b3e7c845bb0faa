/// Features between f32 in memory and a pack record's feature block (storage dtype, optionally byte-shuffled),
/// in one pass each way: conversion and (un)shuffling are fused so each byte is touched once.
///
/// Callers pass feature blocks aligned to 16 bytes (the record buffers place them so); the loops are
/// written over typed pointers without branches so the compiler vectorises them.
enum FeatureCodec {
    /// Writes `count` f32 values from `source` as `dtype` into `destination` (count·width bytes).
    static func encode(_ source: UnsafePointer<Float>, count: Int, dtype: StorageDType, shuffle: Bool,
                       into destination: UnsafeMutableRawPointer) {
        switch (dtype, shuffle) {
        case (.f32, false):
            destination.copyMemory(from: source, byteCount: count * 4)
        case (.f32, true):
            let bits = UnsafeRawPointer(source).assumingMemoryBound(to: UInt32.self)
            let plane = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0 ..< count {
                let b = bits[i]
                plane[i] = UInt8(truncatingIfNeeded: b)
                plane[count + i] = UInt8(truncatingIfNeeded: b >> 8)
                plane[2 * count + i] = UInt8(truncatingIfNeeded: b >> 16)
                plane[3 * count + i] = UInt8(truncatingIfNeeded: b >> 24)
            }
        case (.f16, false):
            let out = destination.assumingMemoryBound(to: UInt16.self)
            for i in 0 ..< count { out[i] = HalfFloat.f16Bits(source[i]) }
        case (.bf16, false):
            let out = destination.assumingMemoryBound(to: UInt16.self)
            for i in 0 ..< count { out[i] = HalfFloat.bf16Bits(source[i]) }
        case (.f16, true):
            let plane = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0 ..< count {
                let h = HalfFloat.f16Bits(source[i])
                plane[i] = UInt8(truncatingIfNeeded: h)
                plane[count + i] = UInt8(truncatingIfNeeded: h >> 8)
            }
        case (.bf16, true):
            let plane = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0 ..< count {
                let h = HalfFloat.bf16Bits(source[i])
                plane[i] = UInt8(truncatingIfNeeded: h)
                plane[count + i] = UInt8(truncatingIfNeeded: h >> 8)
            }
        }
    }

    /// Reads `count` elements of `dtype` from `source` into f32 `destination`.
    static func decode(_ source: UnsafeRawPointer, count: Int, dtype: StorageDType, shuffle: Bool,
                       into destination: UnsafeMutablePointer<Float>) {
        switch (dtype, shuffle) {
        case (.f32, false):
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
        case (.f32, true):
            let plane = source.assumingMemoryBound(to: UInt8.self)
            let out = UnsafeMutableRawPointer(destination).assumingMemoryBound(to: UInt32.self)
            for i in 0 ..< count {
                out[i] = UInt32(plane[i]) | UInt32(plane[count + i]) << 8
                    | UInt32(plane[2 * count + i]) << 16 | UInt32(plane[3 * count + i]) << 24
            }
        case (.f16, false):
            let half = source.assumingMemoryBound(to: UInt16.self)
            for i in 0 ..< count { destination[i] = HalfFloat.float(f16Bits: half[i]) }
        case (.bf16, false):
            let half = source.assumingMemoryBound(to: UInt16.self)
            for i in 0 ..< count { destination[i] = HalfFloat.float(bf16Bits: half[i]) }
        case (.f16, true):
            let plane = source.assumingMemoryBound(to: UInt8.self)
            for i in 0 ..< count {
                destination[i] = HalfFloat.float(f16Bits: UInt16(plane[i]) | UInt16(plane[count + i]) << 8)
            }
        case (.bf16, true):
            let plane = source.assumingMemoryBound(to: UInt8.self)
            for i in 0 ..< count {
                destination[i] = HalfFloat.float(bf16Bits: UInt16(plane[i]) | UInt16(plane[count + i]) << 8)
            }
        }
    }
}
