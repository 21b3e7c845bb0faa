/// The globals torch and numpy write into the pickles hmil reads; `PickleMachine` refuses any other.
/// Naming a global here only lets it appear in the value tree: nothing is ever imported or called.
public enum PickleGlobals {
    /// torch.save payloads (tensors, parameters, state dicts) and numpy arrays, in both the
    /// numpy 1.x (`numpy.core`) and 2.x (`numpy._core`) spellings.
    public static let torchAndNumpy: Set<String> = [
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_tensor_v3",
        "torch._utils._rebuild_parameter",
        "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.DoubleStorage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage",
        "torch.ByteStorage", "torch.BoolStorage",
        "torch.float32", "torch.float16", "torch.bfloat16", "torch.float64",
        "torch.int64", "torch.int32", "torch.int16", "torch.int8", "torch.uint8", "torch.bool",
        "collections.OrderedDict",
        "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
        "numpy.ndarray", "numpy.dtype",
        "_codecs.encode"
    ]
}
