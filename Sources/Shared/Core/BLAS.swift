import COpenBLAS

/// The one wrapper over OpenBLAS: every matrix product in hmil goes through `gemm`/`gemv` here.
/// Storage is f32 row-major (f64 only for the contrastive loss); transposes are cblas flags, never copies.
public enum BLAS {
    /// OpenBLAS's own worker threads for one product. When several bags run in parallel on their own
    /// threads, set this to 1 so the two kinds of parallelism do not fight over the cores.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }
}

/// A row-major view of f32 memory it does not own: `rows × cols`, rows `stride` floats apart
/// (stride > cols for a block of columns inside a wider matrix).
public struct MatrixView {
    public let base: UnsafeMutablePointer<Float>
    public let rows: Int
    public let cols: Int
    public let stride: Int

    @inline(__always)
    public init(_ base: UnsafeMutablePointer<Float>, rows: Int, cols: Int, stride: Int? = nil) {
        self.base = base
        self.rows = rows
        self.cols = cols
        self.stride = stride ?? cols
        precondition(self.stride >= cols, "stride \(self.stride) < cols \(cols)")
    }

    /// Columns `range` of every row, sharing memory.
    @inline(__always)
    public func columns(_ range: Range<Int>) -> MatrixView {
        precondition(range.lowerBound >= 0 && range.upperBound <= cols)
        return MatrixView(base + range.lowerBound, rows: rows, cols: range.count, stride: stride)
    }

    /// Rows `range`, sharing memory.
    @inline(__always)
    public func rows(_ range: Range<Int>) -> MatrixView {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows)
        return MatrixView(base + range.lowerBound * stride, rows: range.count, cols: cols, stride: stride)
    }

    @inline(__always)
    public func row(_ i: Int) -> UnsafeMutablePointer<Float> { base + i * stride }

    public var isContiguous: Bool { stride == cols }

    /// Sets every element to `value`.
    public func fill(_ value: Float) {
        for i in 0..<rows { row(i).update(repeating: value, count: cols) }
    }

    /// Every row ← `vector` (cols floats): the bias broadcast that a following `gemm(beta: 1)` adds to.
    public func fillRows(with vector: UnsafePointer<Float>) {
        for i in 0..<rows { row(i).update(from: vector, count: cols) }
    }
}

/// C ← alpha·op(A)·op(B) + beta·C, with op(A) m×k, op(B) k×n and C m×n. `transposeA` reads A
/// (stored k×m) as its transpose; likewise B. This is the one place shapes of products are checked.
@inline(__always)
public func gemm(
    _ a: MatrixView, transposeA: Bool = false, _ b: MatrixView, transposeB: Bool = false,
    into c: MatrixView, alpha: Float = 1, beta: Float = 0
) {
    let (m, n, k) = productShape(
        a: (a.rows, a.cols), transposeA: transposeA, b: (b.rows, b.cols), transposeB: transposeB,
        c: (c.rows, c.cols))
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta == 0 { c.fill(0) } else if beta != 1 { for i in 0..<m { for j in 0..<n { c.row(i)[j] *= beta } } }
        return
    }
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a.base, Int32(a.stride), b.base, Int32(b.stride),
        beta, c.base, Int32(c.stride))
}

/// (m, n, k) of C (m×n) = op(A) (m×k) · op(B) (k×n), checking that the shapes agree.
@inline(__always)
private func productShape(
    a: (rows: Int, cols: Int), transposeA: Bool, b: (rows: Int, cols: Int), transposeB: Bool,
    c: (rows: Int, cols: Int)
) -> (m: Int, n: Int, k: Int) {
    let m = transposeA ? a.cols : a.rows
    let k = transposeA ? a.rows : a.cols
    let kb = transposeB ? b.cols : b.rows
    let n = transposeB ? b.rows : b.cols
    precondition(
        k == kb && c.rows == m && c.cols == n,
        "gemm shapes: op(A) \(m)×\(k), op(B) \(kb)×\(n), C \(c.rows)×\(c.cols)")
    return (m, n, k)
}

/// A row-major view of contiguous f64 memory it does not own. Only the supervised contrastive loss
/// multiplies in f64: it sums M×M similarities as the release does in float64.
public struct DoubleMatrixView {
    public let base: UnsafeMutablePointer<Double>
    public let rows: Int
    public let cols: Int

    public init(_ base: UnsafeMutablePointer<Double>, rows: Int, cols: Int) {
        self.base = base
        self.rows = rows
        self.cols = cols
    }
}

/// `gemm` in f64: C ← alpha·op(A)·op(B) + beta·C, shapes checked as for f32.
public func gemm(
    _ a: DoubleMatrixView, transposeA: Bool = false, _ b: DoubleMatrixView, transposeB: Bool = false,
    into c: DoubleMatrixView, alpha: Double = 1, beta: Double = 0
) {
    let (m, n, k) = productShape(
        a: (a.rows, a.cols), transposeA: transposeA, b: (b.rows, b.cols), transposeB: transposeB,
        c: (c.rows, c.cols))
    if m == 0 || n == 0 { return }
    if k == 0 {
        for i in 0..<(m * n) { c.base[i] = beta == 0 ? 0 : c.base[i] * beta }
        return
    }
    cblas_dgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a.base, Int32(a.cols), b.base, Int32(b.cols),
        beta, c.base, Int32(c.cols))
}

/// y ← alpha·op(A)·x + beta·y for a vector x (contiguous). With `transposeA`, y has A.cols entries
/// and is the weighted sum of A's rows: column sums when x is all ones (bias gradients).
@inline(__always)
public func gemv(
    _ a: MatrixView, transposeA: Bool = false, _ x: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>, alpha: Float = 1, beta: Float = 0
) {
    if a.rows == 0 || a.cols == 0 {
        let count = transposeA ? a.cols : a.rows
        if beta == 0 { y.update(repeating: 0, count: count) } else { for i in 0..<count { y[i] *= beta } }
        return
    }
    cblas_sgemv(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, Int32(a.rows), Int32(a.cols),
        alpha, a.base, Int32(a.stride), x, 1, beta, y, 1)
}

/// y ← y + alpha·x over `count` floats.
@inline(__always)
public func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    if count > 0 { cblas_saxpy(Int32(count), alpha, x, 1, y, 1) }
}

/// Σ x[i]·y[i] over `count` floats.
@inline(__always)
public func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
    count > 0 ? cblas_sdot(Int32(count), x, 1, y, 1) : 0
}
