/// The `.hbag` bag pack, format version 1 (DESIGN §2.4): every slide's bag stored once, readable with one
/// seek, and a valid zstd stream, so `zstd -dc x.hbag` prints exactly the concatenated bag records.
///
/// All integers are little-endian. A pack is a sequence of zstd frames (RFC 8878):
///
///     [header frame] [bag frame 0] … [bag frame B-1] [index frame]
///
/// Header frame: a skippable frame (zstd decoders skip it).
///
///     u32  0x184D2A50          skippable-frame magic
///     u32  S                   payload size = 20 + J
///     8    "HMILBAG\0"
///     u32  version = 1
///     u32  J                   JSON length, 2 … 65 536
///     u32  CRC-32 (IEEE, as zlib) of the JSON
///     J    JSON header, UTF-8, e.g.
///          {"byte_shuffle":true,"coords":"int32","dtype":"f16","feature_dim":1024,"tool":"hmil 0.1",
///           "geometry":{"patch_size":512,"source":"TRIDENT patch_size_level0","unit":"px"}}
///          dtype: "f32" | "f16" | "bf16" (storage; readers always return f32)
///          coords: "none" | "int32" (level-0 pixels) | "float32" (as the source gives them, e.g. µm)
///          geometry (optional; absent in older packs and when no source placed the patches): where the patches
///            lie, for heatmaps. unit: "px" (coordinates are level-0 pixels) | "um" (µm from the slide's
///            top-left corner, STAMP); patch_size: side of every patch in that unit, present only when all
///            bags share it (otherwise each slide's size is in the dataset document); source: where it was read.
///          Unknown keys are ignored; a missing or ill-typed key is an error. New keys are optional, so a
///          reader of this version reads packs written before them, and older readers read newer packs;
///          a change older readers would misread raises the version.
///
/// Bag frame: an ordinary zstd frame with the content size and the content checksum set; its content is
/// one record:
///
///     u32  L                   slide id length in bytes, 1 … 1024
///     L    slide id, UTF-8
///     u64  N                   instance count (0 is allowed: an empty bag)
///     N·D·w  features [N, D], row-major, storage dtype (w = 4 for f32, 2 for f16 and bf16).
///            With byte_shuffle, the block is stored as w byte planes, as Blosc does: plane k holds
///            byte k (least significant first) of every element, in element order.
///     N·8  coordinates [N, 2] as (x, y) pairs, int32 or float32; absent when coords is "none".
///
/// Index frame: a skippable frame, the last thing in the file.
///
///     u32  0x184D2A5E          skippable-frame magic
///     u32  S = 16 + E + 32     payload size
///     8    "HMILIDX\0"
///     u64  B                   bag count
///     E    B entries in pack order, each:
///            u32 L, L bytes slide id (UTF-8)
///            u64 offset             file offset of the bag frame
///            u64 compressed size    bytes of the bag frame
///            u64 record size        bytes of the record (the frame's content)
///            u64 N                  instance count
///     32   footer, at the very end of the file:
///            u64 index offset       file offset of this frame's magic
///            u64 E                  entries length in bytes
///            u32 CRC-32 (IEEE, as zlib) of the payload from "HMILIDX\0" to the end of the entries
///            u32 version = 1
///            8   "HMILEND\0"
///
/// Bag frames are contiguous: the first starts right after the header frame, each next one where the
/// previous ends, the last ends at the index offset. A reader reads the header, the 32-byte footer and
/// the index, checks every size against the file size before allocating, and then reads any bag with one
/// `pread` of its frame.
public enum PackFormat {
    public static let version: UInt32 = 1
    public static let fileExtension = "hbag"

    static let headerFrameMagic: UInt32 = 0x184D_2A50
    static let indexFrameMagic: UInt32 = 0x184D_2A5E
    static let headerMagic: [UInt8] = Array("HMILBAG\0".utf8)
    static let indexMagic: [UInt8] = Array("HMILIDX\0".utf8)
    static let footerMagic: [UInt8] = Array("HMILEND\0".utf8)

    static let headerFixedSize = 20  // magic, version, JSON length, JSON CRC
    static let maxHeaderJSON = 65_536
    static let indexFixedSize = 16  // magic, bag count
    static let footerSize = 32
    static let maxSlideIDBytes = 1024
    /// u32 id length + u64 offset + compressed size + record size + instance count; plus ≥ 1 id byte.
    static let indexEntryFixedSize = 4 + 4 * 8
    /// A zstd block regenerates at most 128 KiB from no fewer than 4 bytes (an RLE block), so no frame
    /// expands by more than this factor; a larger claimed record size is corruption, not data.
    static let maxExpansion: UInt64 = 32_768
    static let maxFeatureDim = 1 << 20

    /// Bytes of a record before its features.
    static func recordPrefixSize(slideIDBytes: Int) -> Int { 4 + slideIDBytes + 8 }
}

/// How features are stored in a pack; compute is always f32.
public enum StorageDType: String, Codable, Sendable, CaseIterable {
    case f32, f16, bf16

    /// Bytes per stored element.
    public var byteWidth: Int { self == .f32 ? 4 : 2 }
}

/// Whether a pack stores patch coordinates, and in which type (see `Coordinates`).
public enum CoordinatesKind: String, Codable, Sendable, CaseIterable {
    case none, int32, float32

    public init(_ coordinates: Coordinates?) {
        switch coordinates {
        case nil: self = .none
        case .int32?: self = .int32
        case .float32?: self = .float32
        }
    }
}

/// The JSON header of a pack.
public struct PackHeader: Codable, Equatable, Sendable {
    public var featureDim: Int
    public var dtype: StorageDType
    public var coordinates: CoordinatesKind
    public var byteShuffle: Bool
    /// The tool and version that wrote the pack, e.g. "hmil-pack 0.1.0".
    public var tool: String
    /// Where the patches lie; nil in packs written before it existed and when no source said.
    public var geometry: PackGeometry?

    public init(
        featureDim: Int, dtype: StorageDType, coordinates: CoordinatesKind, byteShuffle: Bool, tool: String,
        geometry: PackGeometry? = nil
    ) {
        self.featureDim = featureDim
        self.dtype = dtype
        self.coordinates = coordinates
        self.byteShuffle = byteShuffle
        self.tool = tool
        self.geometry = geometry
    }

    enum CodingKeys: String, CodingKey {
        case featureDim = "feature_dim"
        case dtype
        case coordinates = "coords"
        case byteShuffle = "byte_shuffle"
        case tool, geometry
    }
}

/// A pack's patch geometry (the header's and the dataset document's `geometry`): the unit of every bag's
/// coordinates, and the patch side when all bags share it (else per slide in the dataset document).
public struct PackGeometry: Codable, Equatable, Sendable {
    public var unit: CoordinateUnit
    public var patchSize: Double?
    public var source: String

    public init(unit: CoordinateUnit, patchSize: Double?, source: String) {
        self.unit = unit
        self.patchSize = patchSize
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case unit
        case patchSize = "patch_size"
        case source
    }
}

/// One bag's place in a pack, as the index records it.
public struct PackIndexEntry: Equatable, Sendable {
    public var slideID: String
    /// File offset of the bag's zstd frame.
    public var offset: UInt64
    public var compressedSize: UInt64
    public var recordSize: UInt64
    public var instanceCount: Int
}
