import Foundation
import XCTest
@testable import Engine

/// config.json files as published on the Hugging Face hub (trimmed of nothing; keys as released).
enum RealConfigs {
    static let llama2_7b = #"""
    {
      "_name_or_path": "meta-llama/Llama-2-7b-hf",
      "architectures": ["LlamaForCausalLM"],
      "bos_token_id": 1,
      "eos_token_id": 2,
      "hidden_act": "silu",
      "hidden_size": 4096,
      "initializer_range": 0.02,
      "intermediate_size": 11008,
      "max_position_embeddings": 4096,
      "model_type": "llama",
      "num_attention_heads": 32,
      "num_hidden_layers": 32,
      "num_key_value_heads": 32,
      "pretraining_tp": 1,
      "rms_norm_eps": 1e-05,
      "rope_scaling": null,
      "tie_word_embeddings": false,
      "torch_dtype": "float16",
      "transformers_version": "4.31.0.dev0",
      "use_cache": true,
      "vocab_size": 32000
    }
    """#

    static let mistral_7b = #"""
    {
      "architectures": ["MistralForCausalLM"],
      "bos_token_id": 1,
      "eos_token_id": 2,
      "hidden_act": "silu",
      "hidden_size": 4096,
      "initializer_range": 0.02,
      "intermediate_size": 14336,
      "max_position_embeddings": 32768,
      "model_type": "mistral",
      "num_attention_heads": 32,
      "num_hidden_layers": 32,
      "num_key_value_heads": 8,
      "rms_norm_eps": 1e-05,
      "rope_theta": 10000.0,
      "sliding_window": 4096,
      "tie_word_embeddings": false,
      "torch_dtype": "bfloat16",
      "transformers_version": "4.34.0.dev0",
      "use_cache": true,
      "vocab_size": 32000
    }
    """#

    static let qwen25_7b = #"""
    {
      "architectures": ["Qwen2ForCausalLM"],
      "attention_dropout": 0.0,
      "bos_token_id": 151643,
      "eos_token_id": 151643,
      "hidden_act": "silu",
      "hidden_size": 3584,
      "initializer_range": 0.02,
      "intermediate_size": 18944,
      "max_position_embeddings": 131072,
      "max_window_layers": 28,
      "model_type": "qwen2",
      "num_attention_heads": 28,
      "num_hidden_layers": 28,
      "num_key_value_heads": 4,
      "rms_norm_eps": 1e-06,
      "rope_theta": 1000000.0,
      "sliding_window": 131072,
      "tie_word_embeddings": false,
      "torch_dtype": "bfloat16",
      "transformers_version": "4.43.1",
      "use_cache": true,
      "use_mrope": false,
      "use_sliding_window": false,
      "vocab_size": 152064
    }
    """#

    static let smollm2_135m = #"""
    {
      "architectures": ["LlamaForCausalLM"],
      "attention_bias": false,
      "attention_dropout": 0.0,
      "bos_token_id": 1,
      "eos_token_id": 2,
      "hidden_act": "silu",
      "hidden_size": 576,
      "initializer_range": 0.041666666666666664,
      "intermediate_size": 1536,
      "is_llama_config": true,
      "max_position_embeddings": 8192,
      "model_type": "llama",
      "num_attention_heads": 9,
      "num_hidden_layers": 30,
      "num_key_value_heads": 3,
      "pad_token_id": 2,
      "pretraining_tp": 1,
      "rms_norm_eps": 1e-05,
      "rope_interleaved": false,
      "rope_scaling": null,
      "rope_theta": 100000,
      "tie_word_embeddings": true,
      "torch_dtype": "bfloat16",
      "transformers_version": "4.42.3",
      "use_cache": true,
      "vocab_size": 49152
    }
    """#

    static func data(_ text: String) -> Data { Data(text.utf8) }
}

final class HFConfigTests: XCTestCase {
    private func parse(_ text: String, path: String = "/models/x/config.json") throws -> ModelConfig {
        try HFConfig.parse(Data(text.utf8), path: path)
    }

    /// A config with one key's value replaced (or the key removed when `value` is nil).
    private func editing(_ text: String, _ key: String, _ value: String?) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return lines.compactMap { line -> String? in
            guard line.trimmingCharacters(in: .whitespaces).hasPrefix("\"\(key)\":") else { return line }
            guard let value else { return nil }
            return "  \"\(key)\": \(value)" + (line.hasSuffix(",") ? "," : "")
        }.joined(separator: "\n")
    }

    private func assertError(_ text: String, _ expected: EngineError, line: UInt = #line) {
        XCTAssertThrowsError(try parse(text), line: line) { XCTAssertEqual($0 as? EngineError, expected, line: line) }
    }

    func testLlama2() throws {
        XCTAssertEqual(try parse(RealConfigs.llama2_7b), ModelConfig(
            modelType: "llama", hiddenSize: 4096, intermediateSize: 11008, numHiddenLayers: 32,
            numAttentionHeads: 32, numKeyValueHeads: 32, headDim: 128, vocabSize: 32000, rmsNormEps: 1e-5,
            ropeTheta: 10000, ropeScaling: nil, maxPositionEmbeddings: 4096, tieWordEmbeddings: false,
            attentionBias: false))
    }

    func testLlama31WithLlama3RopeScalingAndNaNElsewhere() throws {
        // Real Llama-3.1-8B config plus extra keys holding NaN, Infinity and non-ASCII text.
        let data = try Data(contentsOf: URL(fileURLWithPath: SafetensorsTestSupport.fixture("llama-3.1-8b-extras.config.json")))
        XCTAssertEqual(try HFConfig.parse(data, path: "c.json"), ModelConfig(
            modelType: "llama", hiddenSize: 4096, intermediateSize: 14336, numHiddenLayers: 32,
            numAttentionHeads: 32, numKeyValueHeads: 8, headDim: 128, vocabSize: 128256, rmsNormEps: 1e-5,
            ropeTheta: 500000,
            ropeScaling: .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192),
            maxPositionEmbeddings: 131072, tieWordEmbeddings: false, attentionBias: false))
    }

    func testMistral() throws {
        XCTAssertEqual(try parse(RealConfigs.mistral_7b), ModelConfig(
            modelType: "mistral", hiddenSize: 4096, intermediateSize: 14336, numHiddenLayers: 32,
            numAttentionHeads: 32, numKeyValueHeads: 8, headDim: 128, vocabSize: 32000, rmsNormEps: 1e-5,
            ropeTheta: 10000, ropeScaling: nil, maxPositionEmbeddings: 32768, tieWordEmbeddings: false,
            attentionBias: false))
    }

    func testQwen25AlwaysHasAttentionBias() throws {
        XCTAssertEqual(try parse(RealConfigs.qwen25_7b), ModelConfig(
            modelType: "qwen2", hiddenSize: 3584, intermediateSize: 18944, numHiddenLayers: 28,
            numAttentionHeads: 28, numKeyValueHeads: 4, headDim: 128, vocabSize: 152064, rmsNormEps: 1e-6,
            ropeTheta: 1_000_000, ropeScaling: nil, maxPositionEmbeddings: 131072, tieWordEmbeddings: false,
            attentionBias: true))
        // Qwen2.5-0.5B ties its embeddings: taken from the config, not assumed.
        XCTAssertTrue(try parse(editing(RealConfigs.qwen25_7b, "tie_word_embeddings", "true")).tieWordEmbeddings)
    }

    func testSmolLM2TiedWithIntegerRopeTheta() throws {
        let config = try parse(RealConfigs.smollm2_135m)
        XCTAssertEqual(config.headDim, 64)
        XCTAssertEqual(config.numKeyValueHeads, 3)
        XCTAssertEqual(config.ropeTheta, 100_000)
        XCTAssertTrue(config.tieWordEmbeddings)
        XCTAssertEqual(config.removedAttentionBlocks, [])
    }

    func testDefaults() throws {
        var text = editing(RealConfigs.mistral_7b, "num_key_value_heads", nil)
        text = editing(text, "rope_theta", nil)
        text = editing(text, "tie_word_embeddings", nil)
        let config = try parse(text)
        XCTAssertEqual(config.numKeyValueHeads, 32)
        XCTAssertEqual(config.ropeTheta, 10000)
        XCTAssertFalse(config.tieWordEmbeddings)
        // null means "default" as well.
        XCTAssertEqual(try parse(editing(RealConfigs.mistral_7b, "num_key_value_heads", "null")).numKeyValueHeads, 32)
    }

    func testExplicitHeadDim() throws {
        // Mistral-Nemo: hidden 5120 with 32 heads of 128 (not 5120 / 32 = 160).
        var text = editing(RealConfigs.mistral_7b, "hidden_size", "5120")
        text = editing(text, "rope_theta", "1000000.0,\n  \"head_dim\": 128")
        XCTAssertEqual(try parse(text).headDim, 128)
        XCTAssertEqual(try parse(editing(RealConfigs.mistral_7b, "sliding_window", "4096,\n  \"head_dim\": null")).headDim, 128)
    }

    func testLinearRopeScalingInOldTypeForm() throws {
        let text = editing(RealConfigs.llama2_7b, "rope_scaling", #"{"type": "linear", "factor": 4.0}"#)
        XCTAssertEqual(try parse(text).ropeScaling, .linear(factor: 4))
        let defaultType = editing(RealConfigs.llama2_7b, "rope_scaling", #"{"rope_type": "default"}"#)
        XCTAssertNil(try parse(defaultType).ropeScaling)
    }

    func testTransformers5RopeParameters() throws {
        let text = editing(RealConfigs.llama2_7b, "rope_scaling",
            #"null, "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0, "#
            + #""low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}"#)
        let config = try parse(text)
        XCTAssertEqual(config.ropeTheta, 500_000)
        XCTAssertEqual(config.ropeScaling, .llama3(factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192))
    }

    func testNaNAndInfinityAnywhereAreTolerated() throws {
        let text = editing(RealConfigs.mistral_7b, "initializer_range", #"NaN, "x": [Infinity, -Infinity, {"y": NaN}]"#)
        XCTAssertEqual(try parse(text).hiddenSize, 4096)
    }

    func testMissingKeyNamesKeyAndFile() {
        assertError(editing(RealConfigs.llama2_7b, "hidden_size", nil),
                    .corruptFile(path: "/models/x/config.json", reason: "missing required key 'hidden_size'"))
        assertError(editing(RealConfigs.qwen25_7b, "rms_norm_eps", nil),
                    .corruptFile(path: "/models/x/config.json", reason: "missing required key 'rms_norm_eps'"))
        assertError(editing(RealConfigs.llama2_7b, "rope_scaling", #"{"rope_type": "llama3", "factor": 8.0}"#),
                    .corruptFile(path: "/models/x/config.json", reason: "missing required key 'rope_scaling.low_freq_factor'"))
        XCTAssertEqual(
            EngineError.corruptFile(path: "/m/config.json", reason: "missing required key 'hidden_size'").description,
            "/m/config.json: corrupt or truncated file: missing required key 'hidden_size'")
    }

    func testWrongTypesNameTheKey() {
        assertError(editing(RealConfigs.llama2_7b, "hidden_size", #""4096""#),
                    .corruptFile(path: "/models/x/config.json", reason: #"key 'hidden_size' must be a positive integer, found "4096""#))
        assertError(editing(RealConfigs.llama2_7b, "num_attention_heads", "0"),
                    .corruptFile(path: "/models/x/config.json", reason: "key 'num_attention_heads' must be a positive integer, found 0"))
        assertError(editing(RealConfigs.llama2_7b, "tie_word_embeddings", "1"),
                    .corruptFile(path: "/models/x/config.json", reason: "key 'tie_word_embeddings' must be true or false, found 1"))
        assertError(editing(RealConfigs.llama2_7b, "num_key_value_heads", "5"),
                    .corruptFile(path: "/models/x/config.json",
                                 reason: "num_attention_heads 32 is not a multiple of num_key_value_heads 5"))
    }

    func testUnsupportedModelsAreNamed() {
        assertError(editing(RealConfigs.llama2_7b, "model_type", #""gemma""#),
                    .unsupported("model_type 'gemma' in /models/x/config.json (supported: llama, mistral, qwen2)"))
        assertError(editing(RealConfigs.llama2_7b, "rope_scaling", #"{"rope_type": "yarn", "factor": 4.0}"#),
                    .unsupported("RoPE scaling type 'yarn' in /models/x/config.json (supported: default, linear, llama3)"))
        assertError(editing(RealConfigs.llama2_7b, "hidden_act", #""gelu""#),
                    .unsupported("hidden_act 'gelu' in /models/x/config.json (only silu)"))
        assertError(editing(RealConfigs.llama2_7b, "pretraining_tp", #"1, "mlp_bias": true"#),
                    .unsupported("mlp_bias = true in /models/x/config.json (MLP biases are not supported)"))
    }

    func testInvalidJSONIsACorruptFile() {
        for text in ["", "{", #"{"a": }"#, "[1, 2]", #"{"a": 01}"#, #"{"a": "\x"}"#, String(repeating: "[", count: 100_000)] {
            XCTAssertThrowsError(try parse(text)) { error in
                guard case .corruptFile(let path, _)? = error as? EngineError else { return XCTFail("\(error)") }
                XCTAssertEqual(path, "/models/x/config.json")
            }
        }
    }

    func testRemovedAttentionBlocks() throws {
        let text = editing(RealConfigs.llama2_7b, "use_cache", #"true, "twossp_removed_attention_blocks": [31, 4, 17]"#)
        XCTAssertEqual(try parse(text).removedAttentionBlocks, [4, 17, 31])
        XCTAssertThrowsError(try parse(editing(RealConfigs.llama2_7b, "use_cache", #"true, "twossp_removed_attention_blocks": [32]"#)))
        XCTAssertThrowsError(try parse(editing(RealConfigs.llama2_7b, "use_cache", #"true, "twossp_removed_attention_blocks": [3, 3]"#)))
        XCTAssertThrowsError(try parse(editing(RealConfigs.llama2_7b, "use_cache", #"true, "twossp_removed_attention_blocks": 3"#)))
    }

    // MARK: - encode

    /// Our encoder's output, with the keys 2SSP changes edited, is byte-identical to Python's
    /// `json.dumps(indent=2, sort_keys=True)` of the same edit (goldens from the generator script).
    func testEncodeMatchesPythonForTransformers4Config() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: SafetensorsTestSupport.fixture("llama-3.1-8b-extras.config.json")))
        var config = try HFConfig.parse(original, path: "c.json")
        config.intermediateSize = 7168
        config.removedAttentionBlocks = [3, 17, 30]
        let encoded = try HFConfig.encode(config, basedOn: original, weightsDType: .f32)
        let expected = try Data(contentsOf: URL(fileURLWithPath: SafetensorsTestSupport.fixture("llama-3.1-8b-extras.pruned.expected.json")))
        XCTAssertEqual(String(decoding: encoded, as: UTF8.self), String(decoding: expected, as: UTF8.self))
        XCTAssertEqual(try HFConfig.parse(encoded, path: "out.json"), config)
    }

    func testEncodeMatchesPythonForTransformers5Config() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: SafetensorsTestSupport.fixture("tiny-llama-sharded/config.json")))
        var config = try HFConfig.parse(original, path: "c.json")
        config.intermediateSize = 6
        config.removedAttentionBlocks = [1]
        let encoded = try HFConfig.encode(config, basedOn: original, weightsDType: .bf16)
        let expected = try Data(contentsOf: URL(fileURLWithPath: SafetensorsTestSupport.fixture("tiny-llama-sharded.pruned.expected.json")))
        XCTAssertEqual(String(decoding: encoded, as: UTF8.self), String(decoding: expected, as: UTF8.self))
    }

    func testEncodeWithoutOriginalRoundTrips() throws {
        for text in [RealConfigs.llama2_7b, RealConfigs.mistral_7b, RealConfigs.qwen25_7b, RealConfigs.smollm2_135m] {
            var config = try parse(text)
            config.removedAttentionBlocks = [1, 2]
            let encoded = try HFConfig.encode(config, basedOn: nil, weightsDType: .bf16)
            XCTAssertEqual(try HFConfig.parse(encoded, path: "out.json"), config)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: encoded) as? [String: Any])
            XCTAssertEqual(object["torch_dtype"] as? String, "bfloat16")
            XCTAssertEqual(object["twossp_removed_attention_blocks"] as? [Int], [1, 2])
        }
        let llama31 = try HFConfig.parse(
            Data(contentsOf: URL(fileURLWithPath: SafetensorsTestSupport.fixture("llama-3.1-8b-extras.config.json"))), path: "c")
        XCTAssertEqual(try HFConfig.parse(HFConfig.encode(llama31, basedOn: nil), path: "out.json"), llama31)
        var linear = try parse(RealConfigs.llama2_7b)
        linear.ropeScaling = .linear(factor: 2)
        linear.attentionBias = true
        XCTAssertEqual(try HFConfig.parse(HFConfig.encode(linear, basedOn: nil), path: "out.json"), linear)
    }

    func testEncodeRefusesChangesItWouldDrop() throws {
        let original = RealConfigs.data(RealConfigs.llama2_7b)
        var config = try HFConfig.parse(original, path: "c")
        config.hiddenSize = 2048
        config.ropeTheta = 5
        XCTAssertThrowsError(try HFConfig.encode(config, basedOn: original)) {
            XCTAssertEqual($0 as? EngineError, .invalidArgument(
                "the config differs from the original in hidden_size, rope_theta; "
                + "only intermediate_size and removed attention blocks may change"))
        }
        XCTAssertThrowsError(try HFConfig.encode(try HFConfig.parse(original, path: "c"), basedOn: original, weightsDType: .q4_K))
    }

    func testJSONStringsRoundTripThroughParserAndWriter() throws {
        let text = #"{"a": "\u00e9\ud83e\udd99\"\\\/\b\f\n\r\t\u0001 \u007f", "lone": "\ud800x", "n": [-0.0, 1E+2, 12345678901234567890]}"#
        let value = try HFJSONParser.parse(Array(text.utf8))
        guard case .object(let members) = value else { return XCTFail() }
        XCTAssertEqual(members["a"], .string("é🦙\"\\/\u{8}\u{c}\n\r\t\u{1} \u{7f}"))
        XCTAssertEqual(members["lone"], .string("\u{FFFD}x"))
        XCTAssertEqual(HFJSONWriter.prettyText(value), """
            {
              "a": "\\u00e9\\ud83e\\udd99\\"\\\\/\\b\\f\\n\\r\\t\\u0001 \\u007f",
              "lone": "\\ufffdx",
              "n": [
                -0.0,
                1E+2,
                12345678901234567890
              ]
            }
            """)
    }
}
