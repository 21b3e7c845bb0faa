import Foundation

/// What a pack was built from, saved beside it (`bags.manifest.json`), so a re-run can tell which
/// bags are still up to date: a bag is reused when its source file has the same path, size and
/// modification time, and the pack still has the size it had when the manifest was written.
struct PackManifest: Codable, Equatable {
    static let format = "hmil.pack-manifest/1"

    struct Source: Codable, Equatable {
        var slideID: String
        var path: String
        var size: Int
        var modified: Int64  // nanoseconds since 1970

        enum CodingKeys: String, CodingKey {
            case slideID = "slide_id"
            case path, size
            case modified = "modified_ns"
        }
    }

    var format = PackManifest.format
    /// Settings that change the stored bytes; a pack is reused only under the same ones.
    var settings: PackSettings
    var packSize: UInt64
    var sources: [Source]

    enum CodingKeys: String, CodingKey {
        case format, settings
        case packSize = "pack_size"
        case sources
    }

    static func load(_ path: String) -> PackManifest? {
        guard let data = FileManager.default.contents(atPath: path),
            let manifest = try? JSONDecoder().decode(PackManifest.self, from: data),
            manifest.format == format
        else { return nil }
        return manifest
    }

    func save(_ path: String) throws {
        try AtomicFile.write(try DocumentIO.encode(self), to: path)
    }

    /// Size and modification time of a source file.
    static func source(slideID: String, path: String) throws -> Source {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ToolError("cannot stat feature file", at: "slide \(slideID), \(path)") }
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return Source(slideID: slideID, path: path, size: Int(info.st_size), modified: modified)
    }
}

/// Pack-time choices that change what is stored.
struct PackSettings: Codable, Equatable {
    var dtype: StorageDType
    var level: Int
    var featuresKey: String?
    var coordinatesKey: String?

    enum CodingKeys: String, CodingKey {
        case dtype, level
        case featuresKey = "features_key"
        case coordinatesKey = "coords_key"
    }
}
