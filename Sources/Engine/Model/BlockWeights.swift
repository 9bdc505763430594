/// One block's attention weights, q/k/v fused into one matrix so a single sgemm projects them.
public struct AttentionWeights: Sendable {
    /// [(nHeads + 2 * nKVHeads) * headDim, hidden]: q rows, then k rows, then v rows.
    public var qkv: [Float]
    /// [(nHeads + 2 * nKVHeads) * headDim] when the family has q/k/v biases (qwen2).
    public var qkvBias: [Float]?
    /// [hidden, nHeads * headDim]
    public var o: [Float]
}

/// One block's FFN, gate and up fused as [gate rows; up rows] so a single sgemm computes both.
/// `width` is the number of intermediate neurons K (2SSP stage 1 makes it smaller than the config's).
public struct FFNWeights: Sendable {
    public var width: Int
    /// [2 * width, hidden]
    public var gateUp: [Float]
    /// [hidden, width]
    public var down: [Float]
}

/// A decoder block: `h = x + Attn(RMSNorm1(x)); y = h + FFN(RMSNorm2(h))`.
/// `attention == nil` means the attention module is removed (its output is zero).
public struct BlockWeights: Sendable {
    public var inputNorm: [Float]
    public var attention: AttentionWeights?
    public var postAttentionNorm: [Float]
    public var ffn: FFNWeights
}

/// HF tensor names of block `i`.
public enum TensorNames {
    public static let embedding = "model.embed_tokens.weight"
    public static let finalNorm = "model.norm.weight"
    public static let lmHead = "lm_head.weight"
    public static func block(_ i: Int, _ suffix: String) -> String { "model.layers.\(i).\(suffix)" }
    public static let q = "self_attn.q_proj", k = "self_attn.k_proj", v = "self_attn.v_proj"
    public static let o = "self_attn.o_proj"
    public static let gate = "mlp.gate_proj", up = "mlp.up_proj", down = "mlp.down_proj"
    public static let inputNorm = "input_layernorm.weight"
    public static let postNorm = "post_attention_layernorm.weight"
}

extension BlockWeights {
    /// Loads block `index` from `source`, checking every shape against `config`.
    /// The FFN width is read from the tensors (a pruned model has K < intermediate_size only if
    /// its config says so; both must agree).
    public static func load(index i: Int, config c: ModelConfig, source: any TensorSource) throws -> BlockWeights {
        func get(_ suffix: String, _ shape: [Int]) throws -> [Float] {
            let name = TensorNames.block(i, suffix)
            guard let actual = source.shape(of: name) else {
                throw EngineError.mismatch("tensor \(name) is missing from the model")
            }
            guard actual == shape else {
                throw EngineError.mismatch("tensor \(name) has shape \(actual), the config implies \(shape)")
            }
            return try source.load(name).data
        }
        let d = c.hiddenSize, hd = c.headDim, nq = c.numAttentionHeads, nkv = c.numKeyValueHeads
        let k = c.intermediateSize
        var attention: AttentionWeights? = nil
        if !c.removedAttentionBlocks.contains(i) {
            let q = try get(TensorNames.q + ".weight", [nq * hd, d])
            let kw = try get(TensorNames.k + ".weight", [nkv * hd, d])
            let v = try get(TensorNames.v + ".weight", [nkv * hd, d])
            let o = try get(TensorNames.o + ".weight", [d, nq * hd])
            var bias: [Float]? = nil
            if c.attentionBias {
                bias = try get(TensorNames.q + ".bias", [nq * hd]) + get(TensorNames.k + ".bias", [nkv * hd])
                    + get(TensorNames.v + ".bias", [nkv * hd])
            }
            attention = AttentionWeights(qkv: q + kw + v, qkvBias: bias, o: o)
        }
        let gate = try get(TensorNames.gate + ".weight", [k, d])
        let up = try get(TensorNames.up + ".weight", [k, d])
        let down = try get(TensorNames.down + ".weight", [d, k])
        return BlockWeights(
            inputNorm: try get(TensorNames.inputNorm, [d]),
            attention: attention,
            postAttentionNorm: try get(TensorNames.postNorm, [d]),
            ffn: FFNWeights(width: k, gateUp: gate + up, down: down))
    }
}
