import Foundation
import CBLAS
import Dispatch

/// The few OpenBLAS entry points the engine uses, with Swift `Int` dimensions.
public enum BLAS {
    /// C[M,N] = alpha * A[M,K] · op(B) + beta * C, all row-major.
    /// `transposeB` = true means B is stored [N,K] (a Linear weight `[out, in]`), which is how
    /// every projection is applied: `y = x · Wᵀ`.
    @inline(__always)
    public static func sgemm(m: Int, n: Int, k: Int,
                             a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                             c: UnsafeMutablePointer<Float>, ldc: Int,
                             alpha: Float = 1, beta: Float = 0) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }

    /// Threads OpenBLAS uses for one call. Workers sharing a host split the cores with this.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
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
