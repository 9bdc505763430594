import Foundation
import XCTest
@testable import Engine

/// tokenizer.json variants (Llama-3, Qwen2, GPT-2, Llama-2, Mistral layouts and every Split
/// behavior) over small BPE models trained on the wiki corpus; expected ids from HF tokenizers.
final class TokenizerJSONTests: XCTestCase {
    private struct Variant {
        let name: String
        let tokenizer: any TextTokenizer
        let expected: [String: Any]
    }

    private static func fixture() throws -> [String: Any] { try TokenizerFixtures.json("variants.json") }

    private func variant(_ name: String) throws -> (Variant, [String]) {
        let fixture = try Self.fixture()
        let texts = try XCTUnwrap(fixture["texts"] as? [String])
        let all = try XCTUnwrap(fixture["variants"] as? [[String: Any]])
        let entry = try XCTUnwrap(all.first { $0["name"] as? String == name })
        var json = try TokenizerFixtures.json(try XCTUnwrap(entry["base"] as? String))
        for (key, value) in try XCTUnwrap(entry["overrides"] as? [String: Any]) {
            if key == "model", let flags = value as? [String: Any] {
                var model = try XCTUnwrap(json["model"] as? [String: Any])
                for (k, v) in flags { model[k] = v }
                json["model"] = model
            } else {
                json[key] = value
            }
        }
        let data = try JSONSerialization.data(withJSONObject: json)
        let tokenizer = try BPETokenizer(TokenizerJSONReader.parse(data, source: name))
        return (Variant(name: name, tokenizer: tokenizer,
                        expected: try XCTUnwrap(entry["expected"] as? [String: Any])), texts)
    }

    private func check(_ name: String) throws {
        let (v, texts) = try variant(name)
        XCTAssertEqual(v.tokenizer.vocabularySize, (v.expected["vocab_size"] as? NSNumber)?.intValue, "\(name): vocabulary size")
        TokenizerFixtures.assertHardCases(v.tokenizer, texts: texts, expected: v.expected, name)
        TokenizerFixtures.assertDigest(v.tokenizer.encode(TokenizerFixtures.sweepText(), addSpecialTokens: false),
                                       v.expected["sweep"], "\(name): every scalar of planes 0-3")
    }

    func testLlama3Layout() throws { try check("llama3_style") }             // Split regex, ignore_merges, BOS template
    func testQwen2Layout() throws { try check("qwen2_style") }               // NFC, Split regex
    func testGPT2PrefixSpace() throws { try check("gpt2_prefix_space") }     // ByteLevel regex with add_prefix_space, EOS
    func testSplitBehaviors() throws { try check("split_behaviors") }        // every Split behavior, invert, ICU fallback
    func testLlama2PrependReplace() throws { try check("llama2_prepend_replace") }  // byte fallback, no pre-tokenizer
    func testMistralMetaspace() throws { try check("mistral_metaspace") }    // Metaspace first, no split
    func testMetaspaceSplitAlways() throws { try check("metaspace_split_always") }  // NFKC, split, unk not fused

    /// The whole corpora through every variant, against HF's ids (hash, first and last ids).
    func testCorporaMatchHF() throws {
        let corpora = try TokenizerFixtures.corpora()
        let all = try XCTUnwrap(try Self.fixture()["variants"] as? [[String: Any]])
        for entry in all {
            let (v, _) = try variant(try XCTUnwrap(entry["name"] as? String))
            let expected = try XCTUnwrap(v.expected["corpora"] as? [String: Any])
            for (name, text) in corpora {
                TokenizerFixtures.assertDigest(v.tokenizer.encode(text, addSpecialTokens: false), expected[name],
                                               "\(v.name): \(name) corpus")
            }
        }
    }
}
