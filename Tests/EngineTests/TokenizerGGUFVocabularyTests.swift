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

/// The byte-level GGUF layouts map to the HF components whose behaviour the tokenizer.json
/// tests check against HF (Llama-3 and Qwen2 regexes, NFC, ignore_merges, digits).
final class TokenizerGGUFByteLevelLayoutTests: XCTestCase {
    private func metadata(pre: String?, addBOS: Bool = false) -> [String: GGUFValue] {
        // 256 byte characters, then "Ġt" (256), control "<|begin_of_text|>" (257), user-defined "<think>" (258).
        let tokens = (0..<256).map { ByteLevelAlphabet.spelling(of: [UInt8($0)]) }
            + ["\u{120}t", "<|begin_of_text|>", "<think>"]
        var meta: [String: GGUFValue] = [
            "tokenizer.ggml.model": .string("gpt2"),
            "tokenizer.ggml.tokens": .array(tokens.map { .string($0) }),
            "tokenizer.ggml.token_type": .array(tokens.indices.map { i in
                .int32(i == 257 ? 3 : i == 258 ? 4 : 1) }),
            "tokenizer.ggml.merges": .array([.string("\u{120} t")]),
            "tokenizer.ggml.bos_token_id": .uint32(257),
            "tokenizer.ggml.add_bos_token": .bool(addBOS),
        ]
        if let pre { meta["tokenizer.ggml.pre"] = .string(pre) }
        return meta
    }

    func testPreTokenizerNamesMapToHFComponents() throws {
        let byteLevelNoRegex = PreTokenizerSpec.byteLevel(addPrefixSpace: false, useRegex: false)
        let llama3 = try GGUFVocabulary.spec(metadata: metadata(pre: "llama-bpe"), path: "m.gguf")
        XCTAssertEqual(llama3.preTokenizer, .sequence([
            .split(pattern: .regex(KnownSplitRegex.llama3Pattern), behavior: .isolated, invert: false), byteLevelNoRegex]))
        XCTAssertTrue(llama3.model.ignoreMerges)
        XCTAssertNil(llama3.normalizer)
        let qwen2 = try GGUFVocabulary.spec(metadata: metadata(pre: "qwen2"), path: "m.gguf")
        XCTAssertEqual(qwen2.preTokenizer, .sequence([
            .split(pattern: .regex(KnownSplitRegex.qwen2Pattern), behavior: .isolated, invert: false), byteLevelNoRegex]))
        XCTAssertEqual(qwen2.normalizer, .nfc)
        XCTAssertFalse(qwen2.model.ignoreMerges)
        let smollm = try GGUFVocabulary.spec(metadata: metadata(pre: "smollm"), path: "m.gguf")
        XCTAssertEqual(smollm.preTokenizer, .sequence([.digits(individual: true),
                                                       .byteLevel(addPrefixSpace: false, useRegex: true)]))
        for pre in ["gpt2", "default", nil] {
            let spec = try GGUFVocabulary.spec(metadata: metadata(pre: pre), path: "m.gguf")
            XCTAssertEqual(spec.preTokenizer, .byteLevel(addPrefixSpace: false, useRegex: true), "\(pre ?? "none")")
            XCTAssertEqual(spec.decoder, .byteLevel)
        }
    }

    func testAddedTokensAndBOS() throws {
        let tok = try TokenizerLoader.load(ggufMetadata: metadata(pre: "llama-bpe", addBOS: true), path: "m.gguf")
        // "<|begin_of_text|>" is control (special), "<think>" user-defined: both matched whole.
        XCTAssertEqual(tok.encode("<|begin_of_text|> t<think>", addSpecialTokens: false), [257, 256, 258])
        XCTAssertEqual(tok.encode(" t", addSpecialTokens: true), [257, 256])
        XCTAssertEqual(tok.decode([257, 256, 258]), "<|begin_of_text|> t<think>")
    }
}
