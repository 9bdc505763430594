import Foundation
import CBLAS
import Dispatch

/// The few OpenBLAS entry points the engine uses, with Swift `Int` dimensions.
///
/// OpenBLAS always runs single-threaded here; the engine splits large products over its own
/// threads (`parallelSgemm`). Mixing the two pools was measured to cost a third of the attention
/// time: OpenBLAS's idle threads spin for a while after each call and steal the cores the
/// engine's attention threads need. One pool also makes several workers per host simple.
public enum BLAS {
    /// Forces OpenBLAS to one thread, once, before the first product.
    private static let singleThreaded: Void = openblas_set_num_threads(1)

    /// C[M,N] = alpha * A[M,K] · op(B) + beta * C, all row-major, on the calling thread.
    /// `transposeB` = true means B is stored [N,K] (a Linear weight `[out, in]`), which is how
    /// every projection is applied: `y = x · Wᵀ`.
    @inline(__always)
    public static func sgemm(m: Int, n: Int, k: Int,
                             a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                             c: UnsafeMutablePointer<Float>, ldc: Int,
                             alpha: Float = 1, beta: Float = 0) {
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }

    /// The same product split over `Parallel.width` threads along its longer output side.
    /// Each output element is still one single-threaded dot product in OpenBLAS's fixed order,
    /// so the bits do not depend on the thread count.
    public static func parallelSgemm(m: Int, n: Int, k: Int,
                                     a: UnsafePointer<Float>, lda: Int,
                                     b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                                     c: UnsafeMutablePointer<Float>, ldc: Int,
                                     alpha: Float = 1, beta: Float = 0) {
        let parts = Parallel.width
        if parts <= 1 || m * n < 64 * 64 {
            return sgemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, transposeB: transposeB,
                         c: c, ldc: ldc, alpha: alpha, beta: beta)
        }
        if m >= n {
            // Rows in multiples of 16 (the kernels' tile height) so tiles are not split.
            let step = ((m + parts - 1) / parts + 15) / 16 * 16
            Parallel.perform(iterations: (m + step - 1) / step) { p in
                let lo = p * step, rows = min(step, m - lo)
                sgemm(m: rows, n: n, k: k, a: a + lo * lda, lda: lda, b: b, ldb: ldb, transposeB: transposeB,
                      c: c + lo * ldc, ldc: ldc, alpha: alpha, beta: beta)
            }
        } else {
            let step = ((n + parts - 1) / parts + 15) / 16 * 16
            Parallel.perform(iterations: (n + step - 1) / step) { p in
                let lo = p * step, cols = min(step, n - lo)
                // Columns lo..< of op(B): rows of B when transposed, columns otherwise.
                sgemm(m: m, n: cols, k: k, a: a, lda: lda, b: transposeB ? b + lo * ldb : b + lo, ldb: ldb,
                      transposeB: transposeB, c: c + lo, ldc: ldc, alpha: alpha, beta: beta)
            }
        }
    }
}

/// Data-parallel loops for element-wise work and attention, where OpenBLAS's own threading
/// does not help. The closures run concurrently on disjoint data; they are not `@Sendable`
/// because they capture raw buffers, which is sound as long as each iteration writes its own part.
public enum Parallel {
    /// Number of threads for engine-side parallel loops (defaults to the core count).
    nonisolated(unsafe) public static var width: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body(i)` for i in 0..<iterations, concurrently.
    public static func perform(iterations: Int, _ body: (Int) -> Void) {
        if iterations == 1 { body(0); return }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: iterations) { shared.value($0) }
        }
    }

    /// Runs `body` over `0..<count` split into at most `width` contiguous chunks of ≥ `minChunk`.
    public static func forEachChunk(_ count: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = min(width, max(1, count / max(1, minChunk)))
        if count <= 0 { return }
        perform(iterations: chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
}

/// Carries a value across a concurrency boundary the compiler cannot check (raw buffers
/// written in disjoint parts by parallel loops).
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
