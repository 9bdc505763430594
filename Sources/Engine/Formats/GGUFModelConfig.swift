/// The model architecture of a GGUF file in HF `config.json` terms, from `<arch>.*` metadata and
/// the tensor shapes, with every tensor's shape checked against it.
extension GGUFFile {
    /// Architectures whose blocks are the Llama decoder (RMSNorm, RoPE, GQA attention, SwiGLU).
    public static let supportedArchitectures = ["llama", "mistral", "qwen2"]

    public func modelConfig() throws -> ModelConfig {
        guard let arch = metadata["general.architecture"]?.string else {
            throw EngineError.corruptFile(path: path, reason: "metadata 'general.architecture' is missing or not a string")
        }
        guard Self.supportedArchitectures.contains(arch) else {
            throw EngineError.unsupported("\(path): architecture '\(arch)' (supported: \(Self.supportedArchitectures.joined(separator: ", ")))")
        }
        let hidden = try positiveInt("\(arch).embedding_length")
        let heads = try positiveInt("\(arch).attention.head_count")
        let kvHeads = try positiveInt("\(arch).attention.head_count_kv", default: heads)
        guard heads % kvHeads == 0 else {
            throw EngineError.mismatch("\(path): \(heads) attention heads is not a multiple of \(kvHeads) key/value heads")
        }
        let keyLength = "\(arch).attention.key_length"
        guard metadata[keyLength] != nil || hidden % heads == 0 else {
            throw EngineError.mismatch("\(path): hidden size \(hidden) is not a multiple of \(heads) heads and '\(keyLength)' is absent")
        }
        let headDim = try positiveInt(keyLength, default: hidden / heads)
        let valueDim = try positiveInt("\(arch).attention.value_length", default: headDim)
        guard valueDim == headDim else {
            throw EngineError.unsupported("\(path): value head size \(valueDim) differs from key head size \(headDim)")
        }
        let ropeDims = try positiveInt("\(arch).rope.dimension_count", default: headDim)
        guard ropeDims == headDim else {
            throw EngineError.unsupported("\(path): partial RoPE (\(ropeDims) of \(headDim) head dims)")
        }
        guard tensorInfo(named: "rope_freqs.weight") == nil else {
            throw EngineError.unsupported("\(path): per-frequency RoPE factors (rope_freqs, Llama 3.1 style scaling)")
        }
        guard let embedding = tensorInfo(named: "token_embd.weight"), embedding.dims.count == 2 else {
            throw EngineError.mismatch("\(path): tensor 'token_embd.weight' is missing or not a matrix")
        }
        let config = ModelConfig(
            modelType: arch,
            hiddenSize: hidden,
            intermediateSize: try positiveInt("\(arch).feed_forward_length"),
            numHiddenLayers: try positiveInt("\(arch).block_count"),
            numAttentionHeads: heads,
            numKeyValueHeads: kvHeads,
            headDim: headDim,
            vocabSize: embedding.dims[1],
            rmsNormEps: try positiveDouble("\(arch).attention.layer_norm_rms_epsilon"),
            ropeTheta: try positiveDouble("\(arch).rope.freq_base", default: 10_000),
            ropeScaling: try ropeScaling(arch),
            maxPositionEmbeddings: try positiveInt("\(arch).context_length"),
            tieWordEmbeddings: tensorInfo(named: "output.weight") == nil,
            attentionBias: tensorInfo(named: "blk.0.attn_q.bias") != nil)
        try checkTensorShapes(against: config)
        return config
    }

    private func ropeScaling(_ arch: String) throws -> RopeScaling? {
        let type = metadata["\(arch).rope.scaling.type"]?.string ?? "none"
        switch type {
        case "none": return nil
        case "linear":
            let factor = try positiveDouble("\(arch).rope.scaling.factor")
            return factor == 1 ? nil : .linear(factor: factor)
        default:
            throw EngineError.unsupported("\(path): RoPE scaling type '\(type)'")
        }
    }

    /// Every tensor the Llama decoder needs, with the HF shape it must have; extra tensors are
    /// reported, since they mean the file holds something this config does not describe.
    /// Checks block by block and stops at the first problem, so an absurd block count in the
    /// metadata fails at the first missing block instead of building billions of names.
    private func checkTensorShapes(against c: ModelConfig) throws {
        let qRows = c.numAttentionHeads * c.headDim, kvRows = c.numKeyValueHeads * c.headDim
        var global: [(String, [Int])] = [
            ("token_embd.weight", [c.vocabSize, c.hiddenSize]),
            ("output_norm.weight", [c.hiddenSize]),
        ]
        if !c.tieWordEmbeddings { global.append(("output.weight", [c.vocabSize, c.hiddenSize])) }
        var perBlock: [(String, [Int])] = [
            ("attn_norm.weight", [c.hiddenSize]),
            ("ffn_norm.weight", [c.hiddenSize]),
            ("attn_q.weight", [qRows, c.hiddenSize]),
            ("attn_k.weight", [kvRows, c.hiddenSize]),
            ("attn_v.weight", [kvRows, c.hiddenSize]),
            ("attn_output.weight", [c.hiddenSize, qRows]),
            ("ffn_gate.weight", [c.intermediateSize, c.hiddenSize]),
            ("ffn_up.weight", [c.intermediateSize, c.hiddenSize]),
            ("ffn_down.weight", [c.hiddenSize, c.intermediateSize]),
        ]
        if c.attentionBias {
            perBlock += [("attn_q.bias", [qRows]), ("attn_k.bias", [kvRows]), ("attn_v.bias", [kvRows])]
        }
        func check(_ name: String, _ shape: [Int]) throws {
            guard let info = tensorInfo(named: name) else {
                throw EngineError.mismatch("\(path): tensor '\(name)' is missing (expected HF shape \(shape) for \(c.numHiddenLayers) blocks, hidden \(c.hiddenSize))")
            }
            guard info.rowMajorShape == shape else {
                throw EngineError.mismatch("\(path): tensor '\(name)' has shape \(info.rowMajorShape) (row-major), expected \(shape) from the metadata")
            }
        }
        for (name, shape) in global { try check(name, shape) }
        for i in 0..<c.numHiddenLayers {
            for (part, shape) in perBlock { try check("blk.\(i).\(part)", shape) }
        }
        // All expected tensors exist, so this set is no larger than the file's tensor list.
        var expected = Set(global.map(\.0))
        for i in 0..<c.numHiddenLayers { for (part, _) in perBlock { expected.insert("blk.\(i).\(part)") } }
        if let extra = tensorInfos.first(where: { !expected.contains($0.name) && GGUFNames.hfName(for: $0.name) != nil }) {
            throw EngineError.mismatch("\(path): tensor '\(extra.name)' does not belong to a \(c.numHiddenLayers)-block \(c.modelType) model (attention bias: \(c.attentionBias))")
        }
    }

    // MARK: - Typed metadata lookups with errors naming the key

    func positiveInt(_ key: String, default fallback: Int? = nil) throws -> Int {
        guard let value = metadata[key] else {
            if let fallback { return fallback }
            throw EngineError.corruptFile(path: path, reason: "metadata '\(key)' is missing")
        }
        guard let v = value.int, v > 0 else {
            throw EngineError.corruptFile(path: path, reason: "metadata '\(key)' is \(value), expected a positive integer")
        }
        return v
    }

    func positiveDouble(_ key: String, default fallback: Double? = nil) throws -> Double {
        guard let value = metadata[key] else {
            if let fallback { return fallback }
            throw EngineError.corruptFile(path: path, reason: "metadata '\(key)' is missing")
        }
        guard let v = value.double, v > 0, v.isFinite else {
            throw EngineError.corruptFile(path: path, reason: "metadata '\(key)' is \(value), expected a positive number")
        }
        return v
    }
}
