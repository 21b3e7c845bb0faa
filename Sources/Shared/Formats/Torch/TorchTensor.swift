/// A tensor as a torch pickle describes it (`torch._utils._rebuild_tensor_v2/_v3`): which storage
/// it lives in, the storage's element type and declared size, and the view (offset, shape, strides)
/// onto it. The storage bytes themselves live outside the pickle (zip entry or legacy record).
struct TorchTensor {
    var storageKey: String
    var type: ElementType
    /// Elements the storage declares (pid field `numel`; bytes for an untyped storage, converted).
    var storageElements: Int
    var offset: Int
    var shape: [Int]
    var strides: [Int]
    /// Legacy format only: the tensor's storage is a view `(key, offset, size)` of another storage.
    var legacyView: (key: String, offset: Int, size: Int)?

    static let storageTypes: [String: ElementType] = [
        "torch.FloatStorage": .float32, "torch.HalfStorage": .float16, "torch.BFloat16Storage": .bfloat16,
        "torch.DoubleStorage": .float64, "torch.LongStorage": .int64, "torch.IntStorage": .int32,
        "torch.ShortStorage": .int16, "torch.CharStorage": .int8, "torch.ByteStorage": .uint8, "torch.BoolStorage": .bool
    ]

    static let dtypes: [String: ElementType] = [
        "torch.float32": .float32, "torch.float16": .float16, "torch.bfloat16": .bfloat16, "torch.float64": .float64,
        "torch.int64": .int64, "torch.int32": .int32, "torch.int16": .int16, "torch.int8": .int8,
        "torch.uint8": .uint8, "torch.bool": .bool
    ]

    /// Nil when the value is not a tensor rebuild; throws when it is one but malformed.
    /// `torch.nn.Parameter`s (`_rebuild_parameter`) unwrap to their tensor.
    init?(_ value: PickleValue) throws {
        guard case .reduce(let callable, let arguments) = value, let function = callable.globalName,
            let args = arguments.items
        else { return nil }
        switch function {
        case "torch._utils._rebuild_parameter":
            guard let inner = args.first, let tensor = try TorchTensor(inner) else {
                throw FeatureFileProblem("torch parameter does not wrap a tensor")
            }
            self = tensor
            return
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3", "torch._utils._rebuild_tensor":
            break
        default:
            return nil
        }
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, dtype (v3)][, metadata])
        guard args.count >= 4, case .persistentID(let pid) = args[0], let pidFields = pid.items else {
            throw FeatureFileProblem("\(function) call has unexpected arguments")
        }
        guard let offset = args[1].intValue, let size = args[2].items, let stride = args[3].items else {
            throw FeatureFileProblem("\(function) call has a bad offset, size or stride")
        }
        self.offset = offset
        shape = try size.map { try Self.nonNegative($0, "size") }
        strides = try stride.map { try Self.nonNegative($0, "stride") }
        guard shape.count == strides.count else { throw FeatureFileProblem("tensor size and stride differ in length") }

        // ('storage', storage_type, key, location, numel[, view_metadata (legacy)])
        guard pidFields.count >= 5, pidFields[0] == .string("storage"), let typeName = pidFields[1].globalName,
            let key = pidFields[2].stringValue, let numel = pidFields[4].intValue, numel >= 0
        else { throw FeatureFileProblem("tensor storage reference has an unexpected form") }
        storageKey = key
        if let type = Self.storageTypes[typeName] {
            self.type = type
            storageElements = numel
        } else if typeName == "torch.storage.UntypedStorage" || typeName == "torch.UntypedStorage" {
            // v3: bytes of storage, element type from the dtype argument.
            guard function == "torch._utils._rebuild_tensor_v3", args.count >= 7, let dtypeName = args[6].globalName,
                let type = Self.dtypes[dtypeName]
            else { throw FeatureFileProblem("untyped tensor storage without a known dtype") }
            self.type = type
            storageElements = numel / type.size
        } else {
            throw FeatureFileProblem("tensor storage type \(typeName) is not supported")
        }
        if pidFields.count >= 6, let view = pidFields[5].items {
            guard view.count == 3, let viewKey = view[0].stringValue, let viewOffset = view[1].intValue,
                let viewSize = view[2].intValue, viewOffset >= 0, viewSize >= 0
            else { throw FeatureFileProblem("legacy storage view has an unexpected form") }
            legacyView = (viewKey, viewOffset, viewSize)
        }
    }

    private static func nonNegative(_ value: PickleValue, _ what: String) throws -> Int {
        guard let n = value.intValue, n >= 0 else { throw FeatureFileProblem("tensor has a bad \(what) entry") }
        return n
    }

    /// The tensor as a strided view of its storage bytes, which must hold the declared element count
    /// (for a legacy view, the view's size).
    func strided(_ storage: UnsafeRawBufferPointer) throws -> StridedArray {
        let (needed, overflow) = (legacyView?.size ?? storageElements).multipliedReportingOverflow(by: type.size)
        guard !overflow, storage.count >= needed else {
            throw FeatureFileProblem(
                "storage '\(storageKey)' holds \(storage.count) bytes, less than its declared \(storageElements) × \(type.size)")
        }
        return StridedArray(
            type: type, shape: shape, strides: strides, offset: offset,
            storage: UnsafeRawBufferPointer(rebasing: storage[0..<needed]))
    }

    /// Every tensor in a value tree (dict values, list and tuple items), for learning the element
    /// type of each storage. Visits at most `budget` values, since shared subtrees could make a
    /// hostile tree exponentially large when walked.
    static func all(in value: PickleValue, budget: Int = 1 << 16) throws -> [TorchTensor] {
        var found: [TorchTensor] = []
        var remaining = budget
        func visit(_ value: PickleValue) throws {
            remaining -= 1
            guard remaining >= 0 else { throw FeatureFileProblem("torch pickle holds more than \(budget) objects") }
            if let tensor = try TorchTensor(value) { return found.append(tensor) }
            switch value {
            case .dict(let entries): try entries.forEach { try visit($0.value) }
            case .list(let items), .tuple(let items): try items.forEach(visit)
            default: break
            }
        }
        try visit(value)
        return found
    }
}
