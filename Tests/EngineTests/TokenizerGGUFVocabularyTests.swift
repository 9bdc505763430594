import Foundation
import XCTest
@testable import Engine

/// GGUF vocabularies: a SentencePiece ("llama") vocabulary with scores and <0xNN> byte tokens,
/// against transformers' GGUF loader; its tokenizer.json export read back; refusals.
final class TokenizerGGUFVocabularyTests: XCTestCase {
    /// The fixture's metadata as a GGUF reader would return it.
    private func spmMetadata() throws -> (meta: [String: GGUFValue], fixture: [String: Any]) {
        let fixture = try TokenizerFixtures.json("spm_gguf.json")
        let raw = try XCTUnwrap(fixture["metadata"] as? [String: Any])
        var meta: [String: GGUFValue] = [:]
        meta["tokenizer.ggml.model"] = .string(try XCTUnwrap(raw["tokenizer.ggml.model"] as? String))
        meta["tokenizer.ggml.tokens"] = .array(try XCTUnwrap(raw["tokenizer.ggml.tokens"] as? [String]).map { .string($0) })
        meta["tokenizer.ggml.scores"] = .array(try XCTUnwrap(raw["tokenizer.ggml.scores"] as? [NSNumber]).map { .float32($0.floatValue) })
        meta["tokenizer.ggml.token_type"] = .array(try XCTUnwrap(raw["tokenizer.ggml.token_type"] as? [NSNumber]).map { .int32($0.int32Value) })
        for key in ["bos_token_id", "eos_token_id", "unknown_token_id"] {
            meta["tokenizer.ggml.\(key)"] = .uint32(try XCTUnwrap(raw["tokenizer.ggml.\(key)"] as? NSNumber).uint32Value)
        }
        for key in ["add_bos_token", "add_eos_token"] {
            meta["tokenizer.ggml.\(key)"] = .bool(try XCTUnwrap(raw["tokenizer.ggml.\(key)"] as? Bool))
        }
        return (meta, fixture)
    }

    func testSentencePieceVocabularyMatchesTransformers() throws {
        let (meta, fixture) = try spmMetadata()
        let expected = try XCTUnwrap(fixture["expected"] as? [String: Any])
        let texts = try XCTUnwrap(fixture["texts"] as? [String])
        let tokenizer = try TokenizerLoader.load(ggufMetadata: meta, path: "spm.gguf")
        XCTAssertEqual(tokenizer.vocabularySize, (expected["vocab_size"] as? NSNumber)?.intValue)
        TokenizerFixtures.assertHardCases(tokenizer, texts: texts, expected: expected, "spm gguf")
        TokenizerFixtures.assertDigest(tokenizer.encode(TokenizerFixtures.sweepText(), addSpecialTokens: false),
                                       expected["sweep"], "spm gguf: every scalar of planes 0-3")
        let corpora = try XCTUnwrap(expected["corpora"] as? [String: Any])
        for (name, text) in try TokenizerFixtures.corpora() {
            TokenizerFixtures.assertDigest(tokenizer.encode(text, addSpecialTokens: false), corpora[name], "spm gguf: \(name)")
        }
    }

    /// The exported tokenizer.json (what a pruned model ships) tokenizes like the GGUF vocabulary.
    func testSentencePieceExportReadsBack() throws {
        let (meta, fixture) = try spmMetadata()
        let expected = try XCTUnwrap(fixture["expected"] as? [String: Any])
        let texts = try XCTUnwrap(fixture["texts"] as? [String])
        let data = try TokenizerLoader.tokenizerJSON(ggufMetadata: meta, path: "spm.gguf")
        let exported = try BPETokenizer(TokenizerJSONReader.parse(data, source: "exported"))
        TokenizerFixtures.assertHardCases(exported, texts: texts, expected: expected, "exported spm tokenizer.json")
    }

    /// Merges derived from scores follow transformers' `generate_merges` order: best merged
    /// score first, then shorter left piece; pieces ordered by id within one token.
    func testSentencePieceMergesFromScores() {
        let tokens = ["a", "b", "c", "ab", "bc", "abc", "ca"]
        let scores: [Float] = [0, 0, 0, -1, -2, -0.5, -3]
        let merges = SentencePieceMerges.generate(tokens: tokens, scores: scores)
        // abc (-0.5): splits a|bc and ab|c, ordered by (score, len(l), len(r)) descending: ab|c first.
        XCTAssertEqual(merges.map { "\($0.0) \($0.1)" }, ["ab c", "a bc", "a b", "b c", "c a"])
    }

    func testUnsupportedGGUFTokenizersAreRefused() throws {
        var (meta, _) = try spmMetadata()
        meta["tokenizer.ggml.model"] = .string("bert")
        XCTAssertThrowsError(try TokenizerLoader.load(ggufMetadata: meta, path: "x.gguf")) { error in
            XCTAssertEqual(error as? EngineError, .unsupported("x.gguf: GGUF tokenizer model bert"))
        }
        meta["tokenizer.ggml.model"] = .string("gpt2")
        meta["tokenizer.ggml.merges"] = .array([.string("a b")])
        meta["tokenizer.ggml.pre"] = .string("deepseek-coder")
        XCTAssertThrowsError(try TokenizerLoader.load(ggufMetadata: meta, path: "x.gguf")) { error in
            XCTAssertEqual(error as? EngineError, .unsupported("x.gguf: GGUF pre-tokenizer deepseek-coder"))
        }
        meta["tokenizer.ggml.tokens"] = .string("not an array")
        XCTAssertThrowsError(try TokenizerLoader.load(ggufMetadata: meta, path: "x.gguf")) { error in
            guard case .corruptFile(let path, _)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "x.gguf")
        }
    }
}
