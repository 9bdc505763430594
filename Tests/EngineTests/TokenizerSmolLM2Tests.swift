import Foundation
import XCTest
@testable import Engine

/// SmolLM2's vocabulary read from the real GGUF: the golden ids of assets.md, the corpora
/// (wiki: 1,127,637 tokens; ids identical to HF tokenizers), hard cases, round trips, export.
final class TokenizerSmolLM2Tests: XCTestCase {
    private static let goldenSentence = "The quick brown fox jumps over the lazy dog in 2024."
    private static let goldenIds: [Int32] = [504, 2365, 6354, 16438, 27003, 690, 260, 23790, 2767, 281, 216, 34, 32, 34, 36, 30]

    private func tokenizer() throws -> any TextTokenizer {
        try TokenizerLoader.load(modelPath: try TokenizerFixtures.smolLM2Path())
    }

    func testGoldenSentence() throws {
        let tok = try tokenizer()
        XCTAssertEqual(tok.vocabularySize, 49_152)
        XCTAssertEqual(tok.encode(Self.goldenSentence, addSpecialTokens: false), Self.goldenIds)
        XCTAssertEqual(tok.encode(Self.goldenSentence, addSpecialTokens: true), Self.goldenIds)   // add_bos_token = false
        XCTAssertEqual(tok.decode(Self.goldenIds), Self.goldenSentence)
        // Control tokens are matched whole: bos=1 <|im_start|>, eos=2 <|im_end|>.
        XCTAssertEqual(tok.encode("<|im_start|><|im_end|>", addSpecialTokens: false), [1, 2])
    }

    func testHardCasesAndRoundTrips() throws {
        let tok = try tokenizer()
        let fixture = try TokenizerFixtures.json("smollm2.json")
        let texts = try XCTUnwrap(fixture["texts"] as? [String])
        let expected = try XCTUnwrap(fixture["expected"] as? [String: Any])
        TokenizerFixtures.assertHardCases(tok, texts: texts, expected: expected, "smollm2")
        for text in texts {
            XCTAssertEqual(tok.decode(tok.encode(text, addSpecialTokens: false)), text, "round trip of \(text.debugDescription)")
        }
        // (No round trip here: SmolLM2's vocabulary lacks 21 of the 256 byte characters, e.g. for
        // bytes 0x04 and 0xF5-0xFF, and without an unk token HF drops them, as we do.)
        TokenizerFixtures.assertDigest(tok.encode(TokenizerFixtures.sweepText(), addSpecialTokens: false),
                                       expected["sweep"], "smollm2: every scalar of planes 0-3")
    }

    /// The corpora of assets.md: its token counts, and ids identical to HF's (hash, slices).
    func testCorpora() throws {
        let tok = try tokenizer()
        let counts = ["wiki": 1_127_637, "shakespeare": 1_564_609, "austen": 995_507]   // assets.md
        let expected = try XCTUnwrap(try TokenizerFixtures.json("smollm2.json")["expected"] as? [String: Any])
        let corpora = try XCTUnwrap(expected["corpora"] as? [String: Any])
        for (name, text) in try TokenizerFixtures.corpora() {
            let ids = tok.encode(text, addSpecialTokens: false)
            XCTAssertEqual(ids.count, counts[name], "\(name): token count")
            TokenizerFixtures.assertDigest(ids, corpora[name], "smollm2: \(name)")
            XCTAssertEqual(tok.decode(ids), text, "\(name): decode(encode(x)) == x")
        }
    }

    /// The tokenizer.json written for a pruned model tokenizes exactly like the GGUF vocabulary.
    func testExportedTokenizerJSON() throws {
        let path = try TokenizerFixtures.smolLM2Path()
        let data = try TokenizerLoader.tokenizerJSON(ggufMetadata: try GGUFFile(path: path).metadata, path: path)
        let exported = try BPETokenizer(TokenizerJSONReader.parse(data, source: "exported"))
        XCTAssertEqual(exported.encode(Self.goldenSentence, addSpecialTokens: false), Self.goldenIds)
        let fixture = try TokenizerFixtures.json("smollm2.json")
        TokenizerFixtures.assertHardCases(exported, texts: try XCTUnwrap(fixture["texts"] as? [String]),
                                          expected: try XCTUnwrap(fixture["expected"] as? [String: Any]), "exported smollm2")
    }
}
