import Dispatch
import Synchronization

/// Causal multi-head attention over projected q/k/v, one query block at a time, so that the
/// masked upper triangle is never computed: a query block [i0, i1) only meets keys [0, i1).
///
/// The query heads that share a KV head (GQA) are stacked into one matrix, so each block is two
/// tall sgemms (scores, then values) instead of one thin pair per head — measured 8% and 40%
/// faster respectively for SmolLM2's 3 heads per group. Softmax normalisation is applied to the
/// head-dim-wide output rows rather than to the key-wide score rows. Blocks of all groups and
/// sequences are spread over the engine's threads, each calling single-threaded sgemm.
enum CausalAttention {
    static let queryBlock = 128

    struct Shape {
        var sequences: Int, length: Int
        var heads: Int, kvHeads: Int, headDim: Int
        var qkvStride: Int { (heads + 2 * kvHeads) * headDim }
        var outStride: Int { heads * headDim }
        var group: Int { heads / kvHeads }
    }

    /// `qkv` rows are [q heads | k heads | v heads] per token (RoPE already applied);
    /// writes the concatenated head outputs to `out` ([tokens, heads*headDim]).
    static func run(qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, shape s: Shape) {
        let blocksPerSequence = (s.length + queryBlock - 1) / queryBlock
        // Largest blocks first so the dynamic schedule ends evenly.
        var tasks: [(seq: Int, kvHead: Int, block: Int)] = []
        tasks.reserveCapacity(s.sequences * s.kvHeads * blocksPerSequence)
        for b in stride(from: blocksPerSequence - 1, through: 0, by: -1) {
            for seq in 0..<s.sequences { for g in 0..<s.kvHeads { tasks.append((seq, g, b)) } }
        }
        let next = Atomic<Int>(0)
        let threads = min(Parallel.width, tasks.count)
        let rows = s.group * queryBlock
        tasks.withUnsafeBufferPointer { tasks in
            Parallel.perform(iterations: threads) { _ in
                let scratch = Scratch(rows: rows, length: s.length, headDim: s.headDim)
                defer { scratch.free() }
                while true {
                    let t = next.add(1, ordering: .relaxed).oldValue
                    if t >= tasks.count { break }
                    let task = tasks[t]
                    attendBlock(qkv: qkv, out: out, shape: s, sequence: task.seq, kvHead: task.kvHead,
                                block: task.block, scratch: scratch)
                }
            }
        }
    }

    /// Per-thread buffers: stacked queries, scores, stacked outputs, row sums.
    struct Scratch {
        let queries, scores, outputs, inverseSums: UnsafeMutablePointer<Float>
        init(rows: Int, length: Int, headDim: Int) {
            queries = .allocate(capacity: rows * headDim)
            scores = .allocate(capacity: rows * length)
            outputs = .allocate(capacity: rows * headDim)
            inverseSums = .allocate(capacity: rows)
        }
        func free() { queries.deallocate(); scores.deallocate(); outputs.deallocate(); inverseSums.deallocate() }
    }

    @inline(__always)
    static func attendBlock(qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, shape s: Shape,
                            sequence: Int, kvHead: Int, block: Int, scratch: Scratch) {
        let i0 = block * queryBlock, i1 = min(s.length, i0 + queryBlock)
        let bi = i1 - i0, hd = s.headDim, g = s.group
        let rows = g * bi
        let base = sequence * s.length
        let ld = s.qkvStride
        let firstHead = kvHead * g
        // Stack the group's queries: row (j * bi + r) is query i0 + r of head firstHead + j.
        for j in 0..<g {
            for r in 0..<bi {
                (scratch.queries + (j * bi + r) * hd).update(from: qkv + (base + i0 + r) * ld + (firstHead + j) * hd, count: hd)
            }
        }
        let k = qkv + base * ld + (s.heads + kvHead) * hd
        let v = qkv + base * ld + (s.heads + s.kvHeads + kvHead) * hd
        // scores = Q · Kᵀ / sqrt(hd), for keys j < i1
        BLAS.sgemm(m: rows, n: i1, k: hd, a: scratch.queries, lda: hd, b: k, ldb: ld, transposeB: true,
                   c: scratch.scores, ldc: i1, alpha: 1 / Float(hd).squareRoot())
        for row in 0..<rows {
            let p = scratch.scores + row * i1
            let visible = i0 + row % bi + 1
            scratch.inverseSums[row] = 1 / VectorMath.exponentiateShifted(p, count: visible)
            if visible < i1 { (p + visible).update(repeating: 0, count: i1 - visible) }
        }
        BLAS.sgemm(m: rows, n: hd, k: i1, a: scratch.scores, lda: i1, b: v, ldb: ld, transposeB: false,
                   c: scratch.outputs, ldc: hd)
        for j in 0..<g {
            for r in 0..<bi {
                let row = j * bi + r
                let dst = out + (base + i0 + r) * s.outStride + (firstHead + j) * hd
                let src = scratch.outputs + row * hd
                let inv = scratch.inverseSums[row]
                for e in 0..<hd { dst[e] = src[e] * inv }
            }
        }
    }
}
