import Foundation
import XCTest
@testable import Engine

/// The real SmolLM2-135M-Instruct Q4_1 GGUF against reference/assets.md and against values the
/// Python `gguf` package computed (Tests/Fixtures/gguf/smollm2_reference.json, written by
/// scripts/gen_gguf_fixtures.py).
final class GGUFRealModelTests: XCTestCase {
    static var modelPath: String {
        ProcessInfo.processInfo.environment["TWOSSP_TEST_MODEL_GGUF"]
            ?? FileManager.default.homeDirectoryForCurrentUser
                .appendingPathComponent(".cache/twossp/models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf").path
    }

    private func openModel() throws -> GGUFFile {
        guard FileManager.default.fileExists(atPath: Self.modelPath) else {
            throw XCTSkip("model not found at \(Self.modelPath) (set TWOSSP_TEST_MODEL_GGUF)")
        }
        return try GGUFFile(path: Self.modelPath)
    }

    private struct Reference: Decodable {
        struct TensorReference: Decodable {
            let gguf_name: String, hf_name: String, ggml_type: String
            let hf_shape: [Int]
            let checksum: String
            let sum: Double
            let first: [Float], last: [Float]
        }
        struct Tokens: Decodable { let count: Int; let first: [String]; let last: [String]; let at_1000: String }
        struct Merges: Decodable { let count: Int; let first: [String]; let last: String }
        let model_bytes: Int
        let tensor_count: Int
        let metadata_count: Int
        let type_counts: [String: Int]
        let tokens: Tokens
        let merges: Merges
        let token_type_special: [Int]
        let tensors: [TensorReference]
    }

    private func reference() throws -> Reference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/gguf/smollm2_reference.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// Same checksum as the generator: sum of bits[i] * (2i + 1) mod 2^64.
    private func checksum(_ values: [Float]) -> UInt64 {
        values.withUnsafeBufferPointer { buffer in
            var h: UInt64 = 0
            var weight: UInt64 = 1
            for v in buffer {
                h = h &+ UInt64(v.bitPattern) &* weight
                weight = weight &+ 2
            }
            return h
        }
    }

    func testConfigMatchesAssets() throws {
        let file = try openModel()
        let expected = ModelConfig(
            modelType: "llama", hiddenSize: 576, intermediateSize: 1536, numHiddenLayers: 30,
            numAttentionHeads: 9, numKeyValueHeads: 3, headDim: 64, vocabSize: 49_152,
            rmsNormEps: 1e-5, ropeTheta: 100_000, ropeScaling: nil,   // the float32 metadata read as its shortest decimal
            maxPositionEmbeddings: 8192, tieWordEmbeddings: true, attentionBias: false)
        XCTAssertEqual(try file.modelConfig(), expected)
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.tensorInfos.reduce(0) { $0 + $1.elementCount }, 134_515_008)
    }

    func testDirectoryAndMetadataMatchPythonGGUF() throws {
        let file = try openModel()
        let ref = try reference()
        XCTAssertEqual(try MappedFile(path: Self.modelPath).size, ref.model_bytes, "not the reference model file")
        XCTAssertEqual(file.tensorInfos.count, ref.tensor_count)
        XCTAssertEqual(file.metadata.count, ref.metadata_count)
        var counts: [String: Int] = [:]
        for info in file.tensorInfos { counts[info.ggmlType.name, default: 0] += 1 }
        XCTAssertEqual(counts, ref.type_counts)

        let tokens = try XCTUnwrap(file.metadata["tokenizer.ggml.tokens"]?.stringArray)
        XCTAssertEqual(tokens.count, ref.tokens.count)
        XCTAssertEqual(Array(tokens.prefix(4)), ref.tokens.first)
        XCTAssertEqual(Array(tokens.suffix(2)), ref.tokens.last)
        XCTAssertEqual(tokens[1000], ref.tokens.at_1000)
        let merges = try XCTUnwrap(file.metadata["tokenizer.ggml.merges"]?.stringArray)
        XCTAssertEqual(merges.count, ref.merges.count)
        XCTAssertEqual(Array(merges.prefix(2)), ref.merges.first)
        XCTAssertEqual(merges.last, ref.merges.last)
        let types = try XCTUnwrap(file.metadata["tokenizer.ggml.token_type"]?.intArray)
        XCTAssertEqual(Array(types.indices.filter { types[$0] == 3 }.prefix(20)), ref.token_type_special)
        XCTAssertEqual(file.metadata["tokenizer.ggml.model"]?.string, "gpt2")
        XCTAssertEqual(file.metadata["tokenizer.ggml.bos_token_id"]?.int, 1)
        XCTAssertEqual(file.metadata["tokenizer.ggml.add_bos_token"]?.bool, false)
    }

    /// Q8_0 embedding, Q4_1 matrices (q/k un-permuted), F32 norms: bit-identical to gguf-py.
    func testTensorsMatchPythonGGUF() throws {
        let source = try GGUFTensorSource(file: try openModel())
        for ref in try reference().tensors {
            let info = try XCTUnwrap(source.tensorInfo(of: ref.hf_name), ref.hf_name)
            XCTAssertEqual(info.name, ref.gguf_name)
            XCTAssertEqual(info.ggmlType.name, ref.ggml_type)
            XCTAssertEqual(source.shape(of: ref.hf_name), ref.hf_shape)
            let t = try source.load(ref.hf_name)
            XCTAssertEqual(t.shape, ref.hf_shape)
            XCTAssertEqual(Array(t.data.prefix(8)), ref.first, ref.hf_name)
            XCTAssertEqual(Array(t.data.suffix(8)), ref.last, ref.hf_name)
            XCTAssertEqual(String(checksum(t.data)), ref.checksum, ref.hf_name)
            let sum = t.data.reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(sum, ref.sum, accuracy: 1e-9 * max(1, abs(ref.sum)) + 1e-6, ref.hf_name)
        }
    }

    func testEveryTensorLoads() throws {
        let source = try GGUFTensorSource(file: try openModel())
        XCTAssertEqual(source.tensorNames.count, 272)
        XCTAssertFalse(source.contains("lm_head.weight"))
        var elements = 0
        for name in source.tensorNames {
            let t = try source.load(name)
            XCTAssertEqual(t.shape, source.shape(of: name))
            // A strided sample keeps this debug-built loop fast; the values are cross-checked above.
            XCTAssertTrue(stride(from: 0, to: t.count, by: 97).allSatisfy { t.data[$0].isFinite }, name)
            elements += t.count
        }
        XCTAssertEqual(elements, 134_515_008)
    }

    /// The engine is built optimised even in debug; the target for release is well under 100 ms.
    func testMetadataParsesQuickly() throws {
        _ = try openModel()
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try GGUFFile(path: Self.modelPath)
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        print("GGUF open + metadata + tensor directory: \(ms) ms")
        XCTAssertLessThan(ms, 500)
    }
}
