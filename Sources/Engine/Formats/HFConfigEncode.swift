import Foundation

extension HFConfig {
    /// Writes config.json for `config` in transformers' own layout (`json.dumps(indent=2,
    /// sort_keys=True)` plus a newline). Given the original config.json, every key of it is kept and
    /// only `intermediate_size`, `twossp_removed_attention_blocks` and the dtype key change; any
    /// other difference between `config` and the original is refused rather than silently dropped.
    public static func encode(_ config: ModelConfig, basedOn original: Data?,
                              weightsDType: StorageType = .f32) throws -> Data {
        guard let dtypeName = torchDTypeName(weightsDType) else {
            throw EngineError.invalidArgument("config.json cannot describe weights stored as \(weightsDType.rawValue)")
        }
        var members: [String: HFJSON]
        if let original {
            let originalConfig = try parse(original, path: "original config.json")
            guard case .object(let originalMembers) = try HFJSONParser.parse(Array(original)) else {
                throw EngineError.corruptFile(path: "original config.json", reason: "config is not a JSON object")
            }
            let changed = differingKeys(originalConfig, config)
            guard changed.isEmpty else {
                throw EngineError.invalidArgument("the config differs from the original in "
                    + changed.joined(separator: ", ") + "; only intermediate_size and removed attention blocks may change")
            }
            members = originalMembers
            // transformers 5 writes "dtype", transformers 4 "torch_dtype": update whichever exists.
            if members["dtype"] != nil { members["dtype"] = .string(dtypeName) }
            if members["torch_dtype"] != nil || members["dtype"] == nil { members["torch_dtype"] = .string(dtypeName) }
        } else {
            members = freshMembers(config)
            members["torch_dtype"] = .string(dtypeName)
        }
        members["intermediate_size"] = .number(config.intermediateSize)
        members[removedAttentionBlocksKey] = .array(config.removedAttentionBlocks.map { .number($0) })
        return Data((HFJSONWriter.prettyText(.object(members)) + "\n").utf8)
    }

    static func torchDTypeName(_ type: StorageType) -> String? {
        switch type {
        case .f32: return "float32"
        case .f16: return "float16"
        case .bf16: return "bfloat16"
        default: return nil
        }
    }

    /// config.json keys whose value differs between two configs, other than the ones 2SSP changes.
    private static func differingKeys(_ a: ModelConfig, _ b: ModelConfig) -> [String] {
        let checks: [(String, Bool)] = [
            ("model_type", a.modelType == b.modelType),
            ("hidden_size", a.hiddenSize == b.hiddenSize),
            ("num_hidden_layers", a.numHiddenLayers == b.numHiddenLayers),
            ("num_attention_heads", a.numAttentionHeads == b.numAttentionHeads),
            ("num_key_value_heads", a.numKeyValueHeads == b.numKeyValueHeads),
            ("head_dim", a.headDim == b.headDim),
            ("vocab_size", a.vocabSize == b.vocabSize),
            ("rms_norm_eps", a.rmsNormEps == b.rmsNormEps),
            ("rope_theta", a.ropeTheta == b.ropeTheta),
            ("rope_scaling", a.ropeScaling == b.ropeScaling),
            ("max_position_embeddings", a.maxPositionEmbeddings == b.maxPositionEmbeddings),
            ("tie_word_embeddings", a.tieWordEmbeddings == b.tieWordEmbeddings),
            ("attention_bias", a.attentionBias == b.attentionBias),
        ]
        return checks.filter { !$0.1 }.map(\.0)
    }

    /// A complete config.json for a model with no original to start from.
    private static func freshMembers(_ config: ModelConfig) -> [String: HFJSON] {
        let architecture: String
        switch config.modelType {
        case "mistral": architecture = "MistralForCausalLM"
        case "qwen2": architecture = "Qwen2ForCausalLM"
        default: architecture = "LlamaForCausalLM"
        }
        var members: [String: HFJSON] = [
            "architectures": .array([.string(architecture)]),
            "model_type": .string(config.modelType),
            "hidden_act": .string("silu"),
            "hidden_size": .number(config.hiddenSize),
            "num_hidden_layers": .number(config.numHiddenLayers),
            "num_attention_heads": .number(config.numAttentionHeads),
            "num_key_value_heads": .number(config.numKeyValueHeads),
            "head_dim": .number(config.headDim),
            "vocab_size": .number(config.vocabSize),
            "rms_norm_eps": .number(config.rmsNormEps),
            "rope_theta": .number(config.ropeTheta),
            "max_position_embeddings": .number(config.maxPositionEmbeddings),
            "tie_word_embeddings": .bool(config.tieWordEmbeddings),
        ]
        switch config.ropeScaling {
        case nil:
            members["rope_scaling"] = .null
        case .linear(let factor)?:
            members["rope_scaling"] = .object(["rope_type": .string("linear"), "factor": .number(factor)])
        case .llama3(let factor, let low, let high, let originalMax)?:
            members["rope_scaling"] = .object([
                "rope_type": .string("llama3"), "factor": .number(factor),
                "low_freq_factor": .number(low), "high_freq_factor": .number(high),
                "original_max_position_embeddings": .number(originalMax),
            ])
        }
        if config.modelType == "llama" { members["attention_bias"] = .bool(config.attentionBias) }
        return members
    }
}
