import Dispatch
import Shared

extension ProductShape {
    /// Wall seconds of each of `runs` OpenBLAS products of this shape alone (through Shared's `gemm`, on
    /// buffers of its own), after one untimed warm-up product. `ModelBench` sums the best per shape
    /// into the time sgemm alone needs for a pass; `TrainCost` times one square product for the rate.
    func timedRuns(_ runs: Int) -> [Double] {
        let aCount = m * k
        let bCount = k * n
        let cCount = m * n
        let a = UnsafeMutablePointer<Float>.allocate(capacity: aCount)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: bCount)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: cCount)
        defer {
            a.deallocate()
            b.deallocate()
            c.deallocate()
        }
        a.initialize(repeating: 0.5, count: aCount)
        b.initialize(repeating: 0.25, count: bCount)
        c.initialize(repeating: 0, count: cCount)
        let av = transposeA ? MatrixView(a, rows: k, cols: m) : MatrixView(a, rows: m, cols: k)
        let bv = transposeB ? MatrixView(b, rows: n, cols: k) : MatrixView(b, rows: k, cols: n)
        let cv = MatrixView(c, rows: m, cols: n)
        var seconds: [Double] = []
        for attempt in 0...max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            gemm(av, transposeA: transposeA, bv, transposeB: transposeB, into: cv, beta: 1)
            if attempt > 0 { seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        }
        return seconds
    }
}
