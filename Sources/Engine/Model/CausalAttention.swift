import Dispatch
import Synchronization

/// Causal multi-head attention over projected q/k/v, one query block at a time, so that the
/// masked upper triangle is never computed: a query block [i0, i1) only meets keys [0, i1).
/// Blocks of all heads and sequences are spread over the engine's threads, each calling
/// single-threaded sgemm.
enum CausalAttention {
    static let queryBlock = 128

    struct Shape {
        var sequences: Int, length: Int
        var heads: Int, kvHeads: Int, headDim: Int
        var qkvStride: Int { (heads + 2 * kvHeads) * headDim }
        var outStride: Int { heads * headDim }
    }

    /// `qkv` rows are [q heads | k heads | v heads] per token (RoPE already applied);
    /// writes the concatenated head outputs to `out` ([tokens, heads*headDim]).
    static func run(qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, shape s: Shape) {
        let blocksPerSequence = (s.length + queryBlock - 1) / queryBlock
        // Largest blocks first so the dynamic schedule ends evenly.
        var tasks: [(seq: Int, head: Int, block: Int)] = []
        tasks.reserveCapacity(s.sequences * s.heads * blocksPerSequence)
        for b in stride(from: blocksPerSequence - 1, through: 0, by: -1) {
            for seq in 0..<s.sequences { for h in 0..<s.heads { tasks.append((seq, h, b)) } }
        }
        let next = Atomic<Int>(0)
        let threads = min(Parallel.width, tasks.count)
        tasks.withUnsafeBufferPointer { tasks in
            Parallel.perform(iterations: threads) { _ in
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: queryBlock * s.length)
                defer { scores.deallocate() }
                while true {
                    let t = next.add(1, ordering: .relaxed).oldValue
                    if t >= tasks.count { break }
                    let task = tasks[t]
                    attendBlock(qkv: qkv, out: out, shape: s, sequence: task.seq, head: task.head,
                                block: task.block, scores: scores)
                }
            }
        }
    }

    @inline(__always)
    static func attendBlock(qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, shape s: Shape,
                            sequence: Int, head h: Int, block: Int, scores: UnsafeMutablePointer<Float>) {
        let i0 = block * queryBlock, i1 = min(s.length, i0 + queryBlock)
        let rows = i1 - i0
        let base = sequence * s.length
        let ld = s.qkvStride
        let kvHead = h / (s.heads / s.kvHeads)
        let q = qkv + (base + i0) * ld + h * s.headDim
        let k = qkv + base * ld + (s.heads + kvHead) * s.headDim
        let v = qkv + base * ld + (s.heads + s.kvHeads + kvHead) * s.headDim
        let scale = 1 / Float(s.headDim).squareRoot()
        // scores[r, j] = q_{i0+r} · k_j * scale, for keys j < i1
        BLAS.sgemm(m: rows, n: i1, k: s.headDim, a: q, lda: ld, b: k, ldb: ld, transposeB: true,
                   c: scores, ldc: i1, alpha: scale)
        for r in 0..<rows {
            let row = scores + r * i1
            let visible = i0 + r + 1
            VectorMath.softmaxInPlace(row, count: visible)
            if visible < i1 { (row + visible).update(repeating: 0, count: i1 - visible) }
        }
        BLAS.sgemm(m: rows, n: s.headDim, k: i1, a: scores, lda: i1, b: v, ldb: ld, transposeB: false,
                   c: out + (base + i0) * s.outStride + h * s.headDim, ldc: s.outStride)
    }
}
