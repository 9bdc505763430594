/// Matrix-multiply FLOPs (2 per multiply-add) of one forward pass, for throughput figures.
public enum FlopCount {
    /// One window of `length` tokens through all blocks, causal attention counted on the
    /// lower triangle only, plus the LM head on the `length - 1` scored positions.
    public static func window(config c: ModelConfig, length t: Int, ffnWidth: Int? = nil,
                              attentionBlocks: Int? = nil) -> Double {
        let T = Double(t), d = Double(c.hiddenSize), hd = Double(c.headDim)
        let nq = Double(c.numAttentionHeads), nkv = Double(c.numKeyValueHeads)
        let k = Double(ffnWidth ?? c.intermediateSize)
        let attention = 2 * T * d * (nq + 2 * nkv) * hd + 2 * T * nq * hd * d + 4 * hd * nq * T * (T + 1) / 2
        let ffn = 6 * T * d * k
        let blocks = Double(c.numHiddenLayers)
        let withAttention = Double(attentionBlocks ?? c.numHiddenLayers)
        return withAttention * attention + blocks * ffn + 2 * (T - 1) * d * Double(c.vocabSize)
    }
}
