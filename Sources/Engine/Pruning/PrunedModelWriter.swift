import Foundation

/// Writes a (pruned) model as an HF directory people can load: config.json (the input's
/// architecture with `intermediate_size` = K and `twossp_removed_attention_blocks`),
/// model.safetensors (no q/k/v/o for removed attentions; their input_layernorm is kept, as the
/// reference keeps it), and the tokenizer — copied from an HF input, or converted to
/// tokenizer.json from a GGUF vocabulary.
public enum PrunedModelWriter {
    public static let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                        "generation_config.json", "vocab.json", "merges.txt", "tokenizer.model"]

    public static func write(_ model: LlamaModel, to directory: String, dtype: StorageType, input: OpenedModel) throws {
        let c = model.config
        guard model.blockRange == 0..<c.numHiddenLayers, let embedding = model.embedding,
              let finalNorm = model.finalNorm, let lmHead = model.lmHead else {
            throw EngineError.invalidArgument("only a whole model (all blocks, embedding and head) can be written")
        }
        let d = c.hiddenSize
        let blocks = (0..<c.numHiddenLayers).map { Self.tensors(of: model.block($0), index: $0, config: c) }
        try write(config: c, embedding: Tensor(shape: [c.vocabSize, d], data: embedding), blocks: blocks,
                  finalNorm: Tensor(shape: [d], data: finalNorm),
                  lmHead: c.tieWordEmbeddings ? nil : Tensor(shape: [c.vocabSize, d], data: lmHead),
                  to: directory, dtype: dtype, input: input)
    }

    /// Writes a model from its parts: `blocks[i]` are block i's tensors under HF names
    /// (as `tensors(of:index:config:)` gives them, or as gathered from workers).
    public static func write(config c: ModelConfig, embedding: Tensor, blocks: [[(name: String, tensor: Tensor)]],
                             finalNorm: Tensor, lmHead: Tensor?, to directory: String, dtype: StorageType,
                             input: OpenedModel) throws {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw EngineError.io(path: directory, reason: "cannot create the output directory: \(error.localizedDescription)")
        }
        var tensors: [(name: String, tensor: Tensor)] = [(TensorNames.embedding, embedding)]
        for block in blocks { tensors += block }
        tensors.append((TensorNames.finalNorm, finalNorm))
        if let lmHead { tensors.append((TensorNames.lmHead, lmHead)) }
        let dir = directory as NSString
        try SafetensorsWriter.write(tensors: tensors, dtype: dtype, metadata: ["format": "pt"],
                                    to: dir.appendingPathComponent("model.safetensors"))

        var original: Data? = nil
        if input.format == .huggingFace {
            original = fm.contents(atPath: (input.path as NSString).appendingPathComponent("config.json"))
        }
        try atomicWrite(HFConfig.encode(c, basedOn: original), to: dir.appendingPathComponent("config.json"))
        try writeTokenizer(input: input, to: directory)
    }

    /// A block's weights under HF names, unfused (no q/k/v/o when its attention is removed).
    public static func tensors(of b: BlockWeights, index i: Int, config c: ModelConfig) -> [(name: String, tensor: Tensor)] {
        let d = c.hiddenSize
        var out: [(name: String, tensor: Tensor)] = []
        func add(_ suffix: String, _ shape: [Int], _ data: ArraySlice<Float>) {
            out.append((TensorNames.block(i, suffix), Tensor(shape: shape, data: Array(data))))
        }
        add(TensorNames.inputNorm, [d], b.inputNorm[...])
        if let a = b.attention {
            let q = c.numAttentionHeads * c.headDim, kv = c.numKeyValueHeads * c.headDim
            add(TensorNames.q + ".weight", [q, d], a.qkv[0..<(q * d)])
            add(TensorNames.k + ".weight", [kv, d], a.qkv[(q * d)..<((q + kv) * d)])
            add(TensorNames.v + ".weight", [kv, d], a.qkv[((q + kv) * d)...])
            if let bias = a.qkvBias {
                add(TensorNames.q + ".bias", [q], bias[0..<q])
                add(TensorNames.k + ".bias", [kv], bias[q..<(q + kv)])
                add(TensorNames.v + ".bias", [kv], bias[(q + kv)...])
            }
            add(TensorNames.o + ".weight", [d, q], a.o[...])
        }
        add(TensorNames.postNorm, [d], b.postAttentionNorm[...])
        let k = b.ffn.width
        add(TensorNames.gate + ".weight", [k, d], b.ffn.gateUp[0..<(k * d)])
        add(TensorNames.up + ".weight", [k, d], b.ffn.gateUp[(k * d)...])
        add(TensorNames.down + ".weight", [d, k], b.ffn.down[...])
        return out
    }

    static func writeTokenizer(input: OpenedModel, to directory: String) throws {
        let fm = FileManager.default
        switch input.format {
        case .huggingFace:
            for name in tokenizerFiles {
                let from = (input.path as NSString).appendingPathComponent(name)
                guard let data = fm.contents(atPath: from) else { continue }
                try atomicWrite(data, to: (directory as NSString).appendingPathComponent(name))
            }
        case .gguf:
            let file = try GGUFFile(path: input.path)
            let json = try TokenizerLoader.tokenizerJSON(ggufMetadata: file.metadata, path: input.path)
            try atomicWrite(json, to: (directory as NSString).appendingPathComponent("tokenizer.json"))
        }
    }

    /// Writes via a temporary file and a rename, so a reader never sees half a file.
    public static func atomicWrite(_ data: Data, to path: String) throws {
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw EngineError.io(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
