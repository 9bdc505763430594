import Foundation

/// Reads and writes Hugging Face `config.json` for the Llama family (llama, mistral, qwen2).
public enum HFConfig {
    public static let supportedModelTypes = ["llama", "mistral", "qwen2"]
    /// Our own key: blocks whose attention 2SSP removed.
    public static let removedAttentionBlocksKey = "twossp_removed_attention_blocks"

    /// Parses config.json. Tolerates NaN/Infinity and unknown keys; reads both the transformers 4
    /// (`rope_theta` + `rope_scaling`) and transformers 5 (`rope_parameters`) forms of RoPE.
    public static func parse(_ data: Data, path: String) throws -> ModelConfig {
        let root: HFJSON
        do {
            root = try HFJSONParser.parse(Array(data))
        } catch let failure as HFJSONParser.Failure {
            throw EngineError.corruptFile(path: path, reason: "config is not valid JSON: \(failure.message)")
        }
        guard case .object(let members) = root else {
            throw EngineError.corruptFile(path: path, reason: "config is not a JSON object")
        }
        let keys = ConfigKeys(members: members, path: path)

        let modelType = try keys.string("model_type")
        guard supportedModelTypes.contains(modelType) else {
            throw EngineError.unsupported("model_type '\(modelType)' in \(path) "
                + "(supported: \(supportedModelTypes.joined(separator: ", ")))")
        }
        if let activation = try keys.optionalString("hidden_act"), activation != "silu" {
            throw EngineError.unsupported("hidden_act '\(activation)' in \(path) (only silu)")
        }
        if try keys.optionalBool("mlp_bias") == true {
            throw EngineError.unsupported("mlp_bias = true in \(path) (MLP biases are not supported)")
        }

        let hiddenSize = try keys.positiveInt("hidden_size")
        let heads = try keys.positiveInt("num_attention_heads")
        let kvHeads = try keys.optionalPositiveInt("num_key_value_heads") ?? heads
        guard heads % kvHeads == 0 else {
            throw keys.invalid("num_attention_heads \(heads) is not a multiple of num_key_value_heads \(kvHeads)")
        }
        let headDim: Int
        if let explicit = try keys.optionalPositiveInt("head_dim") {
            headDim = explicit
        } else {
            guard hiddenSize % heads == 0 else {
                throw keys.invalid("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(heads) "
                    + "and head_dim is not given")
            }
            headDim = hiddenSize / heads
        }
        let layers = try keys.positiveInt("num_hidden_layers")
        let rmsNormEps = try keys.double("rms_norm_eps")
        guard rmsNormEps.isFinite, rmsNormEps > 0 else { throw keys.invalid("rms_norm_eps \(rmsNormEps) is not positive") }
        let rope = try RopeConfig.read(keys)

        let attentionBias: Bool
        switch modelType {
        case "qwen2": attentionBias = true          // Qwen2 always has q/k/v biases
        case "llama": attentionBias = try keys.optionalBool("attention_bias") ?? false
        default: attentionBias = false              // Mistral has none
        }

        return ModelConfig(
            modelType: modelType,
            hiddenSize: hiddenSize,
            intermediateSize: try keys.positiveInt("intermediate_size"),
            numHiddenLayers: layers,
            numAttentionHeads: heads,
            numKeyValueHeads: kvHeads,
            headDim: headDim,
            vocabSize: try keys.positiveInt("vocab_size"),
            rmsNormEps: rmsNormEps,
            ropeTheta: rope.theta,
            ropeScaling: rope.scaling,
            maxPositionEmbeddings: try keys.positiveInt("max_position_embeddings"),
            tieWordEmbeddings: try keys.optionalBool("tie_word_embeddings") ?? false,
            attentionBias: attentionBias,
            removedAttentionBlocks: try removedBlocks(keys, layers: layers))
    }

    private static func removedBlocks(_ keys: ConfigKeys, layers: Int) throws -> [Int] {
        guard let value = keys.members[removedAttentionBlocksKey], value != .null else { return [] }
        guard case .array(let elements) = value else {
            throw keys.invalid("'\(removedAttentionBlocksKey)' must be an array of block indices")
        }
        var blocks: [Int] = []
        for element in elements {
            guard let block = element.intValue, block >= 0, block < layers else {
                throw keys.invalid("'\(removedAttentionBlocksKey)' holds \(HFJSONWriter.prettyText(element)), "
                    + "not a block index in 0..<\(layers)")
            }
            blocks.append(block)
        }
        let sorted = Set(blocks).sorted()
        guard sorted.count == blocks.count else {
            throw keys.invalid("'\(removedAttentionBlocksKey)' lists a block twice")
        }
        return sorted
    }
}

/// RoPE base and scaling from either config layout.
private struct RopeConfig {
    var theta: Double
    var scaling: RopeScaling?

    static func read(_ keys: ConfigKeys) throws -> RopeConfig {
        // transformers 5 nests everything under rope_parameters; transformers 4 uses two keys.
        if case .object(let members)? = keys.members["rope_parameters"] {
            let nested = ConfigKeys(members: members, path: keys.path, prefix: "rope_parameters.")
            let theta = try nested.optionalDouble("rope_theta") ?? keys.optionalDouble("rope_theta") ?? 10000
            return RopeConfig(theta: try checked(theta, keys), scaling: try scaling(nested))
        }
        let theta = try keys.optionalDouble("rope_theta") ?? 10000
        switch keys.members["rope_scaling"] {
        case nil, .null?:
            return RopeConfig(theta: try checked(theta, keys), scaling: nil)
        case .object(let members)?:
            let nested = ConfigKeys(members: members, path: keys.path, prefix: "rope_scaling.")
            return RopeConfig(theta: try checked(theta, keys), scaling: try scaling(nested))
        default:
            throw keys.invalid("'rope_scaling' must be an object or null")
        }
    }

    private static func checked(_ theta: Double, _ keys: ConfigKeys) throws -> Double {
        guard theta.isFinite, theta > 0 else { throw keys.invalid("rope_theta \(theta) is not positive") }
        return theta
    }

    private static func scaling(_ keys: ConfigKeys) throws -> RopeScaling? {
        let type = try keys.optionalString("rope_type") ?? keys.optionalString("type") ?? "default"
        switch type {
        case "default":
            return nil
        case "linear":
            return .linear(factor: try keys.double("factor"))
        case "llama3":
            return .llama3(factor: try keys.double("factor"),
                           lowFreqFactor: try keys.double("low_freq_factor"),
                           highFreqFactor: try keys.double("high_freq_factor"),
                           originalMaxPositions: try keys.positiveInt("original_max_position_embeddings"))
        default:
            throw EngineError.unsupported("RoPE scaling type '\(type)' in \(keys.path) "
                + "(supported: default, linear, llama3)")
        }
    }
}

/// Typed access to a JSON object's keys, with errors that name the key and the file.
struct ConfigKeys {
    let members: [String: HFJSON]
    let path: String
    var prefix = ""

    func invalid(_ reason: String) -> EngineError { .corruptFile(path: path, reason: reason) }

    private func missing(_ key: String) -> EngineError {
        .corruptFile(path: path, reason: "missing required key '\(prefix)\(key)'")
    }

    private func wrongType(_ key: String, _ expected: String, _ found: HFJSON) -> EngineError {
        .corruptFile(path: path, reason: "key '\(prefix)\(key)' must be \(expected), found \(HFJSONWriter.prettyText(found))")
    }

    /// The value of a key, nil when absent or null (transformers writes null for "use the default").
    private func present(_ key: String) -> HFJSON? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func optionalString(_ key: String) throws -> String? {
        guard let value = present(key) else { return nil }
        guard case .string(let text) = value else { throw wrongType(key, "a string", value) }
        return text
    }

    func string(_ key: String) throws -> String {
        guard let text = try optionalString(key) else { throw missing(key) }
        return text
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let value = present(key) else { return nil }
        guard case .bool(let flag) = value else { throw wrongType(key, "true or false", value) }
        return flag
    }

    func optionalDouble(_ key: String) throws -> Double? {
        guard let value = present(key) else { return nil }
        guard let number = value.doubleValue else { throw wrongType(key, "a number", value) }
        return number
    }

    func double(_ key: String) throws -> Double {
        guard let number = try optionalDouble(key) else { throw missing(key) }
        return number
    }

    func optionalPositiveInt(_ key: String) throws -> Int? {
        guard let value = present(key) else { return nil }
        guard let number = value.intValue, number > 0 else { throw wrongType(key, "a positive integer", value) }
        return number
    }

    func positiveInt(_ key: String) throws -> Int {
        guard let number = try optionalPositiveInt(key) else { throw missing(key) }
        return number
    }
}
