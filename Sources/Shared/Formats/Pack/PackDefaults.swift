/// Default compression of the pack writer: zstd level 1 with byte shuffle on, chosen from the table below
/// (`hmil-bench pack --table --bags 8`: 4 bags × 3000 instances each; ratio = record bytes in the storage
/// dtype / frame bytes; MB/s of f32 features on one thread by CPU time, wall time in brackets; this
/// 2-core machine was shared with other builds, so wall time was 2–4× CPU time).
///
///     features               dtype level shuffle | ratio  write          read         | bytes/value
///     ResNet50-like 1024-d   f32      1 off      |  1.22    155 (  109)    506 (  385) |  3.29
///     ResNet50-like 1024-d   f32      1 on       |  1.31    284 (  130)    587 (  216) |  3.06
///     ResNet50-like 1024-d   f32      3 off      |  1.25     54 (   29)    480 (  235) |  3.20
///     ResNet50-like 1024-d   f32      3 on       |  1.30    104 (   46)    442 (  223) |  3.08
///     ResNet50-like 1024-d   f32      9 off      |  1.25     16 (    8)    319 (  164) |  3.20
///     ResNet50-like 1024-d   f32      9 on       |  1.30     19 (    9)    484 (  211) |  3.08
///     ResNet50-like 1024-d   f16      1 off      |  1.22    580 (  206)   1080 (  485) |  1.64
///     ResNet50-like 1024-d   f16      1 on       |  1.33    655 (  247)   1072 (  523) |  1.50
///     ResNet50-like 1024-d   f16      3 off      |  1.22    135 (   62)    928 (  462) |  1.64
///     ResNet50-like 1024-d   f16      3 on       |  1.32    185 (   84)   1148 (  513) |  1.52
///     ResNet50-like 1024-d   f16      9 off      |  1.22     33 (   16)    601 (  303) |  1.63
///     ResNet50-like 1024-d   f16      9 on       |  1.30     25 (   12)    742 (  345) |  1.54
///     foundation-like 1536-d f32      1 off      |  1.08    359 (  122)    554 (  281) |  3.70
///     foundation-like 1536-d f32      1 on       |  1.18    287 (  107)   1049 (  500) |  3.38
///     foundation-like 1536-d f32      3 off      |  1.08    330 (  112)    647 (  305) |  3.70
///     foundation-like 1536-d f32      3 on       |  1.17    185 (   74)    740 (  382) |  3.43
///     foundation-like 1536-d f32      9 off      |  1.08     44 (   23)    595 (  397) |  3.70
///     foundation-like 1536-d f32      9 on       |  1.18     25 (   12)    572 (  291) |  3.40
///     foundation-like 1536-d f16      1 off      |  1.08    619 (  231)   1098 (  528) |  1.85
///     foundation-like 1536-d f16      1 on       |  1.17    853 (  279)   1470 (  745) |  1.71
///     foundation-like 1536-d f16      3 off      |  1.08    476 (  182)    965 (  484) |  1.85
///     foundation-like 1536-d f16      3 on       |  1.17    563 (  223)   1654 (  864) |  1.71
///     foundation-like 1536-d f16      9 off      |  1.08     88 (   42)   1178 (  572) |  1.85
///     foundation-like 1536-d f16      9 on       |  1.17     57 (   27)    884 (  337) |  1.71
///
/// What it says: float mantissas are close to random, so zstd finds little beyond the exponent bytes and
/// the zeros; higher levels buy nothing (level 9 is never better than 1 by more than 0.01) and cost 4–20×
/// the write time. Byte shuffle gathers the exponent bytes into a plane of their own and stores the
/// mantissa planes nearly raw: +7–9% ratio and equal or faster reads. Storage dtype matters far more than
/// level: f16 halves the bytes (1.5 bytes per value with shuffle against 3.1–3.4 for f32).
/// (The data is synthetic, see Benchmarks/SyntheticFeatures.swift; real features have more structure
/// across channels, which zstd cannot exploit either without a transform.)
enum PackDefaults {
    static let compressionLevel = 1
    static let byteShuffle = true
}
