/// Default compression of the pack writer: the fastest zstd level (1) with byte shuffle on, since float
/// mantissas are near random and higher levels buy no ratio (measured in Benchmarks/RESULTS.md, `pack --table`).
enum PackDefaults {
    static let compressionLevel = 1
    static let byteShuffle = true
}
