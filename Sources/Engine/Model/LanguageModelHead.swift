import Foundation
/// Next-token negative log-likelihood of one sequence: `sum` over `count` scored positions.
public struct SequenceLoss: Sendable, Equatable {
    public var sum: Double
    public var count: Int
    public var mean: Double { sum / Double(count) }
    public init(sum: Double, count: Int) { self.sum = sum; self.count = count }
}

extension LlamaModel {
    /// Rows of logits computed at once: bounds memory (rows * vocab floats) while keeping sgemm efficient.
    static let logitChunkRows = 512

    /// Final RMSNorm + LM head for `hidden` rows → logits [rows, vocab].
    public func logits(hidden: Tensor) throws -> Tensor {
        let (norm, head) = try headWeights()
        let rows = hidden.shape[0], d = config.hiddenSize, vocab = config.vocabSize
        var out = Tensor(zeros: [rows, vocab])
        let normed = UnsafeMutablePointer<Float>.allocate(capacity: rows * d)
        defer { normed.deallocate() }
        hidden.data.withUnsafeBufferPointer { x in
            rmsNormRows(x.baseAddress!, weight: norm, out: normed, rows: rows)
        }
        head.withUnsafeBufferPointer { w in
            out.data.withUnsafeMutableBufferPointer { o in
                BLAS.parallelSgemm(m: rows, n: vocab, k: d, a: normed, lda: d, b: w.baseAddress!, ldb: d,
                           transposeB: true, c: o.baseAddress!, ldc: vocab)
            }
        }
        return out
    }

    /// Cross-entropy of predicting ids[t+1] from position t, within each `sequenceLength` window
    /// (the last position of a window has no target). `hidden` is the output of the last block.
    /// Logits are computed chunk by chunk and never held whole; sums are in fp64.
    public func nextTokenLoss(hidden: Tensor, ids: [Int32], sequenceLength: Int) throws -> [SequenceLoss] {
        let (norm, head) = try headWeights()
        let rows = hidden.shape[0], d = config.hiddenSize, vocab = config.vocabSize
        guard ids.count == rows, sequenceLength > 1, rows % sequenceLength == 0 else {
            throw EngineError.invalidArgument("loss needs one id per hidden row in whole windows of ≥ 2 tokens (\(ids.count) ids, \(rows) rows, window \(sequenceLength))")
        }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= vocab }) {
            throw EngineError.invalidArgument("token id \(bad) is outside the vocabulary (size \(vocab))")
        }
        // Positions that predict something: all but the last of each window.
        let scored = (0..<rows).filter { $0 % sequenceLength != sequenceLength - 1 }
        var nll = [Double](repeating: 0, count: rows)
        let chunkRows = LlamaModel.logitChunkRows
        let normed = UnsafeMutablePointer<Float>.allocate(capacity: chunkRows * d)
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: chunkRows * vocab)
        defer { normed.deallocate(); logits.deallocate() }
        hidden.data.withUnsafeBufferPointer { x in
            head.withUnsafeBufferPointer { w in
                nll.withUnsafeMutableBufferPointer { nll in
                    var start = 0
                    while start < scored.count {
                        let chunk = Array(scored[start..<min(scored.count, start + chunkRows)])
                        for (j, r) in chunk.enumerated() {
                            (normed + j * d).update(from: x.baseAddress! + r * d, count: d)
                        }
                        rmsNormRows(normed, weight: norm, out: normed, rows: chunk.count)
                        PhaseTimer.measure(.head) {
                            BLAS.parallelSgemm(m: chunk.count, n: vocab, k: d, a: normed, lda: d, b: w.baseAddress!, ldb: d,
                                       transposeB: true, c: logits, ldc: vocab)
                        }
                        PhaseTimer.measure(.crossEntropy) { Parallel.forEachChunk(chunk.count, minChunk: 8) { part in
                            for j in part {
                                let r = chunk[j]
                                nll[r] = LlamaModel.crossEntropy(logits + j * vocab, count: vocab, target: Int(ids[r + 1]))
                            }
                        } }
                        start += chunk.count
                    }
                }
            }
        }
        return stride(from: 0, to: rows, by: sequenceLength).map { s in
            SequenceLoss(sum: nll[s..<(s + sequenceLength - 1)].reduce(0, +), count: sequenceLength - 1)
        }
    }

    /// -log softmax(logits)[target], with the log-sum-exp taken about the row maximum.
    static func crossEntropy(_ logits: UnsafeMutablePointer<Float>, count: Int, target: Int) -> Double {
        typealias V = VectorMath.V
        var i = 0
        var vmax = V(repeating: -.infinity)
        while i + 16 <= count { vmax = VectorMath.max(vmax, VectorMath.load(logits + i)); i += 16 }
        var m = vmax.max()
        while i < count { m = max(m, logits[i]); i += 1 }
        var vsum = V(repeating: 0)
        let vm = V(repeating: m)
        i = 0
        while i + 16 <= count { vsum += VectorMath.exp(VectorMath.load(logits + i) - vm); i += 16 }
        var sum = Double(vsum.sum())
        while i < count { sum += Double(VectorMath.exp(logits[i] - m)); i += 1 }
        return Foundation.log(sum) + Double(m) - Double(logits[target])
    }

    private func headWeights() throws -> ([Float], [Float]) {
        guard let finalNorm, let lmHead else {
            throw EngineError.invalidArgument("this model shard has no LM head")
        }
        return (finalNorm, lmHead)
    }
}
