/// Sees the FFN intermediate `z = silu(gate(u)) * up(u)` (the down_proj input) of one block:
/// `z` is [rows, width] row-major, rows = sequences * sequenceLength. 2SSP stage 1 reduces it to
/// per-neuron norms; tests capture it whole.
public typealias FFNObserver = (_ block: Int, _ z: UnsafeBufferPointer<Float>, _ rows: Int, _ width: Int) -> Void

/// Sees the hidden states entering a block ([rows, hidden]); stage 2 caches them.
public typealias BlockInputObserver = (_ block: Int, _ hidden: UnsafeBufferPointer<Float>) -> Void

extension LlamaModel {
    /// Runs blocks `range` on `hidden` ([sequences * sequenceLength, hidden], each sequence
    /// starting at position 0) in place. A block in `removedAttention` (or removed in the config)
    /// skips its attention entirely: `y = x + FFN(RMSNorm2(x))`.
    public mutating func runBlocks(_ range: Range<Int>? = nil, hidden: inout Tensor, sequenceLength: Int,
                                   removedAttention: Set<Int> = [], observeInput: BlockInputObserver? = nil,
                                   observeFFN: FFNObserver? = nil) throws {
        let range = range ?? blockRange
        guard range.lowerBound >= blockRange.lowerBound, range.upperBound <= blockRange.upperBound else {
            throw EngineError.invalidArgument("blocks \(range) are not all held by this model (holds \(blockRange))")
        }
        let d = config.hiddenSize
        guard hidden.shape.count == 2, hidden.shape[1] == d else {
            throw EngineError.invalidArgument("hidden states have shape \(hidden.shape), expected [tokens, \(d)]")
        }
        guard sequenceLength > 0, hidden.shape[0] % sequenceLength == 0 else {
            throw EngineError.invalidArgument("\(hidden.shape[0]) hidden rows are not a whole number of \(sequenceLength)-token sequences")
        }
        preparePositions(sequenceLength)
        let rows = hidden.shape[0]
        let workspace = ForwardWorkspace(rows: rows, config: config,
                                         ffnWidth: range.map { block($0).ffn.width }.max() ?? 0)
        let model = self
        try hidden.data.withUnsafeMutableBufferPointer { x in
            for i in range {
                observeInput?(i, UnsafeBufferPointer(x))
                let w = model.block(i)
                if let attention = w.attention, !removedAttention.contains(i) {
                    model.attentionResidual(attention, norm: w.inputNorm, x: x.baseAddress!, rows: rows,
                                            sequenceLength: sequenceLength, workspace: workspace)
                }
                try model.ffnResidual(w.ffn, norm: w.postAttentionNorm, block: i, x: x.baseAddress!, rows: rows,
                                      workspace: workspace, observe: observeFFN)
            }
        }
    }

    /// x += o_proj(attention(RoPE(qkv_proj(RMSNorm1(x)))))
    private func attentionResidual(_ a: AttentionWeights, norm: [Float], x: UnsafeMutablePointer<Float>, rows: Int,
                                   sequenceLength: Int, workspace ws: ForwardWorkspace) {
        let c = config, d = c.hiddenSize
        let shape = CausalAttention.Shape(sequences: rows / sequenceLength, length: sequenceLength,
                                          heads: c.numAttentionHeads, kvHeads: c.numKeyValueHeads, headDim: c.headDim)
        let width = shape.qkvStride
        rmsNormRows(x, weight: norm, out: ws.normed, rows: rows)
        PhaseTimer.measure(.qkv) {
            a.qkv.withUnsafeBufferPointer { w in
                BLAS.parallelSgemm(m: rows, n: width, k: d, a: ws.normed, lda: d, b: w.baseAddress!, ldb: d,
                           transposeB: true, c: ws.qkv, ldc: width)
            }
        }
        let rope = self.rope, bias = a.qkvBias
        let heads = c.numAttentionHeads, kvHeads = c.numKeyValueHeads, hd = c.headDim
        PhaseTimer.measure(.rope) { Parallel.forEachChunk(rows, minChunk: 64) { chunk in
            for r in chunk {
                let row = ws.qkv + r * width
                if let bias {
                    bias.withUnsafeBufferPointer { b in for j in 0..<width { row[j] += b[j] } }
                }
                let position = r % sequenceLength
                rope.apply(row, heads: heads, position: position)
                rope.apply(row + heads * hd, heads: kvHeads, position: position)
            }
        } }
        PhaseTimer.measure(.attention) { CausalAttention.run(qkv: ws.qkv, out: ws.attention, shape: shape) }
        PhaseTimer.measure(.outProjection) {
            a.o.withUnsafeBufferPointer { w in
                BLAS.parallelSgemm(m: rows, n: d, k: shape.outStride, a: ws.attention, lda: shape.outStride,
                           b: w.baseAddress!, ldb: shape.outStride, transposeB: true, c: x, ldc: d, beta: 1)
            }
        }
    }

    /// x += down_proj(silu(gate(u)) * up(u)), u = RMSNorm2(x)
    private func ffnResidual(_ f: FFNWeights, norm: [Float], block: Int, x: UnsafeMutablePointer<Float>, rows: Int,
                             workspace ws: ForwardWorkspace, observe: FFNObserver?) throws {
        let d = config.hiddenSize, k = f.width
        rmsNormRows(x, weight: norm, out: ws.normed, rows: rows)
        PhaseTimer.measure(.gateUp) {
            f.gateUp.withUnsafeBufferPointer { w in
                BLAS.parallelSgemm(m: rows, n: 2 * k, k: d, a: ws.normed, lda: d, b: w.baseAddress!, ldb: d,
                           transposeB: true, c: ws.gateUp, ldc: 2 * k)
            }
        }
        PhaseTimer.measure(.swiglu) { Parallel.forEachChunk(rows, minChunk: 64) { chunk in
            for r in chunk {
                let gu = ws.gateUp + r * 2 * k
                VectorMath.swiglu(gate: gu, up: gu + k, out: ws.intermediate + r * k, count: k)
            }
        } }
        observe?(block, UnsafeBufferPointer(start: ws.intermediate, count: rows * k), rows, k)
        PhaseTimer.measure(.down) {
            f.down.withUnsafeBufferPointer { w in
                BLAS.parallelSgemm(m: rows, n: d, k: k, a: ws.intermediate, lda: k, b: w.baseAddress!, ldb: k,
                           transposeB: true, c: x, ldc: d, beta: 1)
            }
        }
    }

    func rmsNormRows(_ x: UnsafePointer<Float>, weight: [Float], out: UnsafeMutablePointer<Float>, rows: Int) {
        let d = config.hiddenSize, eps = Float(config.rmsNormEps)
        PhaseTimer.measure(.norms) { weight.withUnsafeBufferPointer { w in
            Parallel.forEachChunk(rows, minChunk: 64) { chunk in
                for r in chunk {
                    VectorMath.rmsNorm(x + r * d, weight: w.baseAddress!, out: out + r * d, count: d, eps: eps)
                }
            }
        } }
    }
}

/// Scratch buffers for one forward call, reused by every block.
final class ForwardWorkspace: @unchecked Sendable {
    let normed: UnsafeMutablePointer<Float>
    let qkv: UnsafeMutablePointer<Float>
    let attention: UnsafeMutablePointer<Float>
    let gateUp: UnsafeMutablePointer<Float>
    let intermediate: UnsafeMutablePointer<Float>

    init(rows: Int, config c: ModelConfig, ffnWidth: Int) {
        normed = .allocate(capacity: rows * c.hiddenSize)
        qkv = .allocate(capacity: rows * (c.numAttentionHeads + 2 * c.numKeyValueHeads) * c.headDim)
        attention = .allocate(capacity: rows * c.numAttentionHeads * c.headDim)
        gateUp = .allocate(capacity: rows * 2 * max(1, ffnWidth))
        intermediate = .allocate(capacity: rows * max(1, ffnWidth))
    }

    deinit {
        normed.deallocate(); qkv.deallocate(); attention.deallocate()
        gateUp.deallocate(); intermediate.deallocate()
    }
}
