/// The mapping between llama.cpp's GGUF tensor names and Hugging Face Llama names.
public enum GGUFNames {
    static let topLevel: [String: String] = [
        "token_embd": "model.embed_tokens",
        "output_norm": "model.norm",
        "output": "lm_head",
    ]

    static let blockParts: [String: String] = [
        "attn_q": "self_attn.q_proj",
        "attn_k": "self_attn.k_proj",
        "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj",
        "ffn_gate": "mlp.gate_proj",
        "ffn_up": "mlp.up_proj",
        "ffn_down": "mlp.down_proj",
        "attn_norm": "input_layernorm",
        "ffn_norm": "post_attention_layernorm",
    ]

    private static let topLevelReverse = Dictionary(uniqueKeysWithValues: topLevel.map { ($1, $0) })
    private static let blockPartsReverse = Dictionary(uniqueKeysWithValues: blockParts.map { ($1, $0) })

    /// `blk.3.attn_q.weight` → `model.layers.3.self_attn.q_proj.weight`; nil if not a Llama tensor.
    public static func hfName(for ggufName: String) -> String? {
        guard let (stem, suffix) = splitSuffix(ggufName) else { return nil }
        if let hf = topLevel[String(stem)] { return hf + suffix }
        let parts = stem.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "blk", let layer = canonicalIndex(parts[1]),
              let hf = blockParts[String(parts[2])] else { return nil }
        return "model.layers.\(layer).\(hf)\(suffix)"
    }

    /// `model.layers.3.self_attn.q_proj.weight` → `blk.3.attn_q.weight`; nil if not a Llama tensor.
    public static func ggufName(for hfName: String) -> String? {
        guard let (stem, suffix) = splitSuffix(hfName) else { return nil }
        if let gguf = topLevelReverse[String(stem)] { return gguf + suffix }
        let prefix = "model.layers."
        guard stem.hasPrefix(prefix) else { return nil }
        let rest = stem.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: "."), let layer = canonicalIndex(rest[..<dot]),
              let gguf = blockPartsReverse[String(rest[rest.index(after: dot)...])] else { return nil }
        return "blk.\(layer).\(gguf)\(suffix)"
    }

    /// Splits off `.weight` / `.bias`.
    private static func splitSuffix(_ name: String) -> (Substring, String)? {
        for suffix in [".weight", ".bias"] where name.hasSuffix(suffix) {
            return (name.dropLast(suffix.count), suffix)
        }
        return nil
    }

    /// A block index written the canonical way ("0", "12"; not "012" or "+1").
    private static func canonicalIndex(_ s: Substring) -> Int? {
        guard let i = Int(s), i >= 0, String(i) == s else { return nil }
        return i
    }
}
