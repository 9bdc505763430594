import XCTest
@testable import Engine

final class GGUFModelConfigTests: GGUFTempFileTestCase {
    private func config(_ edit: (inout GGUFTestWriter) -> Void, model: GGUFTinyLlama = GGUFTinyLlama()) throws -> ModelConfig {
        var model = model
        var w = model.writer()
        edit(&w)
        return try GGUFFile(path: try write(w.bytes)).modelConfig()
    }

    private func setMetadata(_ w: inout GGUFTestWriter, _ key: String, _ value: GGUFValue?) {
        w.metadata.removeAll { $0.0 == key }
        if let value { w.metadata.append((key, value)) }
    }

    private func assertError(_ edit: (inout GGUFTestWriter) -> Void, model: GGUFTinyLlama = GGUFTinyLlama(),
                             mentioning words: [String], file: StaticString = #filePath, line: UInt = #line,
                             _ check: (EngineError) -> Bool) {
        XCTAssertThrowsError(try config(edit, model: model), file: file, line: line) { error in
            guard let e = error as? EngineError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertTrue(check(e), "unexpected error kind: \(e)", file: file, line: line)
            for word in words {
                XCTAssertTrue(e.description.contains(word), "'\(e)' does not mention '\(word)'", file: file, line: line)
            }
        }
    }

    func testDefaultsAndAlternativeIntegerTypes() throws {
        let c = try config { w in
            setMetadata(&w, "llama.rope.freq_base", nil)
            setMetadata(&w, "llama.block_count", .uint64(2))
            setMetadata(&w, "llama.embedding_length", .int32(32))
            setMetadata(&w, "llama.context_length", .uint16(256))
        }
        XCTAssertEqual(c.ropeTheta, 10_000)
        XCTAssertEqual(c.numHiddenLayers, 2)
        XCTAssertEqual(c.hiddenSize, 32)
        XCTAssertEqual(c.maxPositionEmbeddings, 256)
        XCTAssertEqual(c.headDim, 8)
    }

    func testKVHeadDefaultIsHeadCount() {
        // Without head_count_kv, k/v are expected with all 4 heads ([32, 32]) while the file has 2.
        assertError({ setMetadata(&$0, "llama.attention.head_count_kv", nil) },
                    mentioning: ["blk.0.attn_k.weight", "[16, 32]", "[32, 32]"]) {
            if case .mismatch = $0 { return true } else { return false }
        }
    }

    func testKeyLengthSetsHeadDim() throws {
        var model = GGUFTinyLlama()
        model.headDim = 16                      // 4 heads of 16 on a hidden size of 32
        let bytes = model.writer().bytes
        let source = try GGUFTensorSource(path: try write(bytes))
        XCTAssertEqual(source.config.headDim, 16)
        XCTAssertEqual(source.config.hiddenSize, 32)
        XCTAssertEqual(source.shape(of: "model.layers.0.self_attn.q_proj.weight"), [64, 32])
        XCTAssertEqual(source.shape(of: "model.layers.0.self_attn.o_proj.weight"), [32, 64])
        for name in ["model.layers.1.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight"] {
            XCTAssertEqual(try source.load(name).data, model.expected[name]?.1, name)
        }
    }

    func testLinearRopeScaling() throws {
        let c = try config { w in
            setMetadata(&w, "llama.rope.scaling.type", .string("linear"))
            setMetadata(&w, "llama.rope.scaling.factor", .float32(4))
        }
        XCTAssertEqual(c.ropeScaling, .linear(factor: 4))
        XCTAssertNil(try config { setMetadata(&$0, "llama.rope.scaling.type", .string("none")) }.ropeScaling)
        assertError({ setMetadata(&$0, "llama.rope.scaling.type", .string("yarn")) }, mentioning: ["yarn"]) {
            if case .unsupported = $0 { return true } else { return false }
        }
        assertError({ setMetadata(&$0, "llama.rope.scaling.type", .string("linear")) },
                    mentioning: ["llama.rope.scaling.factor"]) {
            if case .corruptFile = $0 { return true } else { return false }
        }
    }

    func testUnsupportedArchitecture() {
        assertError({ setMetadata(&$0, "general.architecture", .string("gpt2")) }, mentioning: ["gpt2"]) {
            if case .unsupported = $0 { return true } else { return false }
        }
        assertError({ setMetadata(&$0, "general.architecture", nil) }, mentioning: ["general.architecture"]) {
            if case .corruptFile = $0 { return true } else { return false }
        }
    }

    func testMissingOrBadKeys() {
        for key in ["llama.embedding_length", "llama.feed_forward_length", "llama.block_count",
                    "llama.attention.head_count", "llama.context_length", "llama.attention.layer_norm_rms_epsilon"] {
            assertError({ setMetadata(&$0, key, nil) }, mentioning: [key]) {
                if case .corruptFile = $0 { return true } else { return false }
            }
            assertError({ setMetadata(&$0, key, .string("32")) }, mentioning: [key]) {
                if case .corruptFile = $0 { return true } else { return false }
            }
        }
        assertError({ setMetadata(&$0, "llama.attention.head_count", .uint32(0)) }, mentioning: ["head_count"]) { _ in true }
        assertError({ setMetadata(&$0, "llama.attention.head_count_kv", .uint32(3)) }, mentioning: ["3 key/value heads"]) {
            if case .mismatch = $0 { return true } else { return false }
        }
        assertError({ setMetadata(&$0, "llama.rope.dimension_count", .uint32(4)) }, mentioning: ["partial RoPE"]) {
            if case .unsupported = $0 { return true } else { return false }
        }
    }

    func testShapeMismatchesNameTheTensor() {
        // More blocks in the metadata than in the file.
        assertError({ setMetadata(&$0, "llama.block_count", .uint32(3)) }, mentioning: ["blk.2.", "missing"]) {
            if case .mismatch = $0 { return true } else { return false }
        }
        // Fewer: the file holds a block the config does not describe.
        assertError({ setMetadata(&$0, "llama.block_count", .uint32(1)) }, mentioning: ["blk.1."]) {
            if case .mismatch = $0 { return true } else { return false }
        }
        assertError({ setMetadata(&$0, "llama.feed_forward_length", .uint32(96)) }, mentioning: ["ffn_", "96"]) {
            if case .mismatch = $0 { return true } else { return false }
        }
        // A transposed matrix.
        assertError({ w in
            let i = w.tensors.firstIndex { $0.name == "blk.1.ffn_down.weight" }!
            w.tensors[i].dims.reverse()
        }, mentioning: ["blk.1.ffn_down.weight", "[64, 32]", "[32, 64]"]) {
            if case .mismatch = $0 { return true } else { return false }
        }
        // A missing tensor, and a bias in one block only.
        assertError({ $0.tensors.removeAll { $0.name == "blk.0.attn_v.weight" } }, mentioning: ["blk.0.attn_v.weight", "missing"]) {
            if case .mismatch = $0 { return true } else { return false }
        }
        assertError({ $0.tensors.append(.f32("blk.1.attn_q.bias", dims: [32], Array(repeating: 0, count: 32))) },
                    mentioning: ["blk.1.attn_q.bias"]) {
            if case .mismatch = $0 { return true } else { return false }
        }
        assertError({ $0.tensors.append(.f32("rope_freqs.weight", dims: [4], [1, 1, 1, 1])) }, mentioning: ["rope_freqs"]) {
            if case .unsupported = $0 { return true } else { return false }
        }
    }
}
