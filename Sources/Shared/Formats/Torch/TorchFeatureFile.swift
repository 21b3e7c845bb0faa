/// Reads a slide's features from a PyTorch `.pt` file written by `torch.save`: the zip format
/// (torch ≥ 1.6) or the legacy stream (`_use_new_zipfile_serialization=False`). The payload may be
/// a tensor (CLAM's `pt_files`), a `torch.nn.Parameter`, a dict holding features (and coordinates),
/// or a pickled numpy array (TRIDENT's `saveas='pt'`). Nothing in the file is executed.
public enum TorchFeatureFile {
    /// Reads the bag of `slideID` from `path`; errors name the slide and file.
    public static func read(_ path: String, slideID: String, keys: FeatureKeys = FeatureKeys()) throws -> Bag {
        try FeatureFiles.reporting(path: path, slideID: slideID) {
            let file = try MappedFile(path: path)
            if StoredZip.isZip(file.bytes) {
                return try readZip(file.bytes, slideID: slideID, keys: keys)
            }
            if TorchLegacyStream.hasMagic(file.bytes) {
                return try readLegacy(file.bytes, slideID: slideID, keys: keys)
            }
            throw FeatureFileProblem("not a torch.save file (neither a zip archive nor the legacy magic number)")
        }
    }

    /// Reads the bag of `slideID` and hands it to `body` as a view; a contiguous f32 tensor is not copied
    /// out of the mapped file (see `FeatureFiles.withBag`).
    static func withBag<T>(_ path: String, slideID: String, keys: FeatureKeys, _ body: (BagView) throws -> T) throws -> T {
        try FeatureFiles.reporting(path: path, slideID: slideID) {
            let file = try MappedFile(path: path)
            return try withExtendedLifetime(file) {
                if StoredZip.isZip(file.bytes) {
                    let (selection, storage) = try zipSelection(file.bytes, keys: keys)
                    return try selection.withBag(slideID: slideID, storage: storage, body)
                }
                if TorchLegacyStream.hasMagic(file.bytes) {
                    let stream = try TorchLegacyStream(file.bytes)
                    let selection = try TorchPayload.select(stream.root, keys: keys)
                    return try selection.withBag(slideID: slideID, storage: { try legacyStorage($0, in: stream) }, body)
                }
                throw FeatureFileProblem("not a torch.save file (neither a zip archive nor the legacy magic number)")
            }
        }
    }

    // MARK: zip format

    private static func readZip(_ bytes: UnsafeRawBufferPointer, slideID: String, keys: FeatureKeys) throws -> Bag {
        let (selection, storage) = try zipSelection(bytes, keys: keys)
        return try selection.bag(slideID: slideID, storage: storage)
    }

    /// The payload's features (and coordinates) and how to reach a tensor's storage bytes in the archive.
    private static func zipSelection(_ bytes: UnsafeRawBufferPointer, keys: FeatureKeys)
        throws -> (TorchPayload.Selection, (TorchTensor) throws -> UnsafeRawBufferPointer)
    {
        let zip = try StoredZip(bytes)
        // The archive's one folder holds data.pkl, data/<key> and byteorder (named after the file by default).
        let pickles = zip.names.filter {
            $0.hasSuffix("/data.pkl") && $0.split(separator: "/", omittingEmptySubsequences: false).count == 2
        }
        guard pickles.count == 1 else {
            throw FeatureFileProblem(
                pickles.isEmpty
                    ? "zip has no <archive>/data.pkl entry; not a torch.save file"
                    : "zip has \(pickles.count) data.pkl entries")
        }
        let prefix = String(pickles[0].dropLast("data.pkl".count))
        if zip.entries[prefix + "byteorder"] != nil {
            let order = String(decoding: try zip.data(prefix + "byteorder"), as: UTF8.self)
            guard order == "little" else { throw FeatureFileProblem("tensors are stored \(order)-endian; only little-endian is supported") }
        }
        let root = try PickleMachine().parse(try zip.data(pickles[0]))
        let selection = try TorchPayload.select(root, keys: keys)
        return (
            selection,
            { tensor in
                guard tensor.legacyView == nil else { throw FeatureFileProblem("storage view records belong to the legacy format") }
                return try zip.data(prefix + "data/" + tensor.storageKey)
            }
        )
    }

    // MARK: legacy format

    private static func readLegacy(_ bytes: UnsafeRawBufferPointer, slideID: String, keys: FeatureKeys) throws -> Bag {
        let stream = try TorchLegacyStream(bytes)
        let selection = try TorchPayload.select(stream.root, keys: keys)
        return try selection.bag(slideID: slideID) { try legacyStorage($0, in: stream) }
    }

    /// A tensor's storage bytes in a legacy stream; old files may refer to a view (key, offset, size) of
    /// the root storage.
    private static func legacyStorage(_ tensor: TorchTensor, in stream: TorchLegacyStream) throws -> UnsafeRawBufferPointer {
        let root = try stream.storage(tensor.storageKey)
        guard let view = tensor.legacyView else { return root }
        let size = tensor.type.size
        let (start, o1) = view.offset.multipliedReportingOverflow(by: size)
        let (length, o2) = view.size.multipliedReportingOverflow(by: size)
        guard !o1, !o2, start <= root.count, length <= root.count - start else {
            throw FeatureFileProblem("legacy storage view '\(view.key)' lies outside storage '\(tensor.storageKey)'")
        }
        return UnsafeRawBufferPointer(rebasing: root[start..<start + length])
    }
}

/// Which part of a torch payload holds the features and which the coordinates.
enum TorchPayload {
    case tensor(TorchTensor)
    case numpy(PickledNumpyArray)

    struct Selection {
        var features: TorchPayload
        var coordinates: TorchPayload?

        /// Materialises the bag; `storage` returns a tensor's storage bytes.
        func bag(slideID: String, storage: (TorchTensor) throws -> UnsafeRawBufferPointer) throws -> Bag {
            let features = try features.withStrided(storage) { try $0.floats("features") }
            let coordinates = try coordinates.map { payload in try payload.withStrided(storage) { try $0.coordinates("coordinates") } }
            return try FeatureFiles.makeBag(slideID: slideID, features: features, coordinates: coordinates)
        }

        /// The bag as a view: features in place when the tensor is contiguous f32 (checked as `bag` does),
        /// else converted into a `Bag` first.
        func withBag<T>(
            slideID: String, storage: (TorchTensor) throws -> UnsafeRawBufferPointer,
            _ body: (BagView) throws -> T
        ) throws -> T {
            guard case .tensor(let tensor) = features else { return try bag(slideID: slideID, storage: storage).withView(body) }
            let strided = try tensor.strided(try storage(tensor))
            guard let direct = try strided.contiguousFloats("features") else {
                let values = try strided.floats("features")
                let coordinates = try coordinates.map { payload in try payload.withStrided(storage) { try $0.coordinates("coordinates") } }
                return try FeatureFiles.makeBag(slideID: slideID, features: values, coordinates: coordinates).withView(body)
            }
            let coordinates = try coordinates.map { payload in try payload.withStrided(storage) { try $0.coordinates("coordinates") } }
            try FeatureFiles.validate(rows: direct.rows, cols: direct.cols, values: direct.values, coordinates: coordinates)
            return try body(
                BagView(
                    slideID: slideID, instanceCount: direct.rows, featureDim: direct.cols, features: direct.values,
                    coordinates: coordinates?.value))
        }
    }

    init?(_ value: PickleValue) throws {
        if let tensor = try TorchTensor(value) {
            self = .tensor(tensor)
        } else if let array = try PickledNumpyArray(value) {
            self = .numpy(array)
        } else {
            return nil
        }
    }

    func withStrided<T>(_ storage: (TorchTensor) throws -> UnsafeRawBufferPointer, _ body: (StridedArray) throws -> T) throws -> T {
        switch self {
        case .tensor(let tensor):
            return try body(try tensor.strided(try storage(tensor)))
        case .numpy(let array):
            return try array.data.withUnsafeBytes { try body(array.strided($0)) }
        }
    }

    /// A bare tensor/array is the features; a dict names them by key.
    static func select(_ root: PickleValue, keys: FeatureKeys) throws -> Selection {
        if let payload = try TorchPayload(root) {
            if keys.features != nil { throw FeatureFileProblem("file holds a bare tensor, not a dict with key '\(keys.features!)'") }
            return Selection(features: payload, coordinates: nil)
        }
        guard case .dict(let entries) = root else {
            throw FeatureFileProblem("payload is \(root.kindDescription), expected a tensor, a numpy array or a dict of them")
        }
        let names = entries.compactMap { $0.key.stringValue }
        func lookup(_ candidates: [String], what: String) throws -> TorchPayload? {
            guard let key = candidates.first(where: { root[$0] != nil }) else { return nil }
            guard let payload = try TorchPayload(root[key]!) else {
                throw FeatureFileProblem("\(what) under key '\(key)' is \(root[key]!.kindDescription), not a tensor or numpy array")
            }
            return payload
        }
        guard let features = try lookup(keys.featureCandidates, what: "features") else {
            throw FeatureFileProblem(
                "dict has no key \(keys.featureCandidates.map { "'\($0)'" }.joined(separator: " or ")) (keys: \(names.prefix(10).joined(separator: ", ")))"
            )
        }
        let coordinates = try lookup(keys.coordinateCandidates, what: "coordinates")
        if coordinates == nil, let wanted = keys.coordinates {
            throw FeatureFileProblem("dict has no coordinates key '\(wanted)' (keys: \(names.prefix(10).joined(separator: ", ")))")
        }
        return Selection(features: features, coordinates: coordinates)
    }
}
