import Foundation
import XCTest
@testable import Engine

/// Small hand-made tokenizers whose ids are worked out by hand (and were confirmed with HF
/// tokenizers 0.23): merge order, unk and byte fallback, ignore_merges, the long-word merge
/// path, decoders, and refusal of what is not implemented.
final class TokenizerBPERulesTests: XCTestCase {
    private func tokenizer(vocab: [String: Int], merges: [Any], model extra: String = "",
                           rest: String = "") throws -> BPETokenizer {
        let vocabJSON = vocab.map { "\(TokenizerJSONWriter.quote($0.key)): \($0.value)" }.joined(separator: ", ")
        let mergesJSON = merges.map { m -> String in
            if let s = m as? String { return TokenizerJSONWriter.quote(s) }
            let pair = m as! [String]
            return "[\(TokenizerJSONWriter.quote(pair[0])), \(TokenizerJSONWriter.quote(pair[1]))]"
        }.joined(separator: ", ")
        let json = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\(vocabJSON)}, \"merges\": [\(mergesJSON)]\(extra)}\(rest)}"
        return try BPETokenizer(TokenizerJSONReader.parse(Data(json.utf8), source: "test.json"))
    }

    func testMergesApplyByRankLeftmostFirst() throws {
        let vocab = ["a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5]
        // (b c) outranks (a b), so "abc" = a + bc, then (a bc) = abc.
        for merges: [Any] in [["b c", "a b", "a bc"], [["b", "c"], ["a", "b"], ["a", "bc"]]] {
            let tok = try tokenizer(vocab: vocab, merges: merges)
            XCTAssertEqual(tok.encode("abc", addSpecialTokens: false), [5])
            // Equal ranks: the leftmost pair merges first: abab → ab a b → ab ab.
            XCTAssertEqual(tok.encode("abab", addSpecialTokens: false), [3, 3])
            XCTAssertEqual(tok.encode("cab", addSpecialTokens: false), [2, 3])
        }
    }

    func testLongWordsMergeLikeShortOnes() throws {
        // 7 a's: aa aa aa a → aaaa aa a. 99 a's (heap path): 24 aaaa, aa, a.
        let tok = try tokenizer(vocab: ["a": 0, "aa": 1, "aaaa": 2], merges: ["a a", "aa aa"])
        XCTAssertEqual(tok.encode(String(repeating: "a", count: 7), addSpecialTokens: false), [2, 1, 0])
        XCTAssertEqual(tok.encode(String(repeating: "a", count: 99), addSpecialTokens: false),
                       Array(repeating: 2, count: 24) + [1, 0])
        XCTAssertEqual(tok.encode(String(repeating: "a", count: 1000), addSpecialTokens: false),
                       Array(repeating: 2, count: 250))
    }

    func testUnknownCharactersByteFallbackAndFusing() throws {
        let vocab = ["<unk>": 0, "a": 1, "<0x78>": 2]     // "x" only as a byte token
        let fused = try tokenizer(vocab: vocab, merges: [],
                                  model: ", \"unk_token\": \"<unk>\", \"byte_fallback\": true, \"fuse_unk\": true")
        XCTAssertEqual(fused.encode("axyz", addSpecialTokens: false), [1, 2, 0])
        // A byte-fallback token does not flush a pending unk (HF's order): y x a → x unk a.
        XCTAssertEqual(fused.encode("yyxyya", addSpecialTokens: false), [2, 0, 1])
        let separate = try tokenizer(vocab: vocab, merges: [],
                                     model: ", \"unk_token\": \"<unk>\", \"byte_fallback\": true, \"fuse_unk\": false")
        XCTAssertEqual(separate.encode("axyz", addSpecialTokens: false), [1, 2, 0, 0])
        XCTAssertEqual(separate.encode("yyxyya", addSpecialTokens: false), [0, 2, 0, 0, 0, 1])
        // Without an unk token, unknown characters vanish.
        let noUnk = try tokenizer(vocab: ["a": 1, "<0x78>": 2], merges: [], model: ", \"byte_fallback\": true")
        XCTAssertEqual(noUnk.encode("axyza", addSpecialTokens: false), [1, 2, 1])
    }

    func testIgnoreMergesTakesWholeWords() throws {
        let vocab = ["a": 0, "b": 1, "c": 2, "bc": 3, "abc": 4]
        let plain = try tokenizer(vocab: vocab, merges: ["b c"])
        XCTAssertEqual(plain.encode("abc", addSpecialTokens: false), [0, 3])
        let ignoring = try tokenizer(vocab: vocab, merges: ["b c"], model: ", \"ignore_merges\": true")
        XCTAssertEqual(ignoring.encode("abc", addSpecialTokens: false), [4])
        XCTAssertEqual(ignoring.encode("abcc", addSpecialTokens: false), [0, 3, 2])
    }

    func testDecodersMatchHF() {
        XCTAssertEqual(TokenDecoding.decode(["<0xE4>", "<0xBD>", "<0xA0>", "a", "<0xE4>", "<0x41>", "<0x4G>", "<0x41>"],
                                            with: .byteFallback), "你a\u{FFFD}\u{FFFD}<0x4G>A")
        XCTAssertEqual(TokenDecoding.decode(["\u{120}hello", "\u{120}\u{E2}\u{122}", "<|x|>", "\u{E9}", "\u{C3}"],
                                            with: .byteLevel), " hello \u{FFFD}<|x|>\u{FFFD}\u{FFFD}")
        XCTAssertEqual(TokenDecoding.decode(["\u{2581}\u{2581}a\u{2581}b", "\u{2581}c", "\u{2581}"],
                                            with: .metaspace(replacement: "\u{2581}", prependScheme: .first)), "ab c ")
        XCTAssertEqual(TokenDecoding.decode([" a  ", "   x"], with: .strip(content: " ", start: 2, stop: 1)), "a  x")
        let llama2: DecoderSpec = .sequence([.replace(pattern: "\u{2581}", content: " "), .byteFallback, .fuse,
                                             .strip(content: " ", start: 1, stop: 0)])
        XCTAssertEqual(TokenDecoding.decode(["\u{2581}\u{2581}a", "<0x41>"], with: llama2), " aA")
        XCTAssertEqual(TokenDecoding.decode(["a", "b"], with: nil), "a b")
    }

    func testUnsupportedComponentsAreNamed() throws {
        let base = "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}"
        let cases: [(String, String)] = [
            ("{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}", "tokenizer model Unigram"),
            ("{\(base), \"normalizer\": {\"type\": \"Lowercase\"}}", "normalizer Lowercase"),
            ("{\(base), \"pre_tokenizer\": {\"type\": \"Whitespace\"}}", "pre-tokenizer Whitespace"),
            ("{\(base), \"decoder\": {\"type\": \"WordPiece\", \"prefix\": \"##\"}}", "decoder WordPiece"),
            ("{\(base), \"post_processor\": {\"type\": \"Foo\"}}", "post-processor Foo"),
            ("{\"model\": {\"type\": \"BPE\", \"dropout\": 0.1, \"vocab\": {}, \"merges\": []}}", "BPE dropout"),
            ("{\"model\": {\"type\": \"BPE\", \"continuing_subword_prefix\": \"##\", \"vocab\": {}, \"merges\": []}}",
             "continuing_subword_prefix"),
            ("{\(base), \"normalizer\": {\"type\": \"Replace\", \"pattern\": {\"Regex\": \"a+\"}, \"content\": \"b\"}}",
             "Replace normalizer with regex"),
            ("{\(base), \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"ByteLevel\"}, {\"type\": \"Digits\"}]}}",
             "after ByteLevel"),
        ]
        for (json, name) in cases {
            XCTAssertThrowsError(try BPETokenizer(TokenizerJSONReader.parse(Data(json.utf8), source: "t.json"))) { error in
                guard case .unsupported(let what)? = error as? EngineError else { return XCTFail("\(name): \(error)") }
                XCTAssertTrue(what.hasPrefix("t.json: ") && what.contains(name), "\(what) should name \(name)")
            }
        }
    }

    func testCorruptFilesAreReported() throws {
        let cases: [(String, String)] = [
            ("not json", "not valid JSON"),
            ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}", "not in the vocabulary"),
            ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\"]}}", "ab, which is not in the vocabulary"),
            ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -3}, \"merges\": []}}", "not a valid id"),
            ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 2000000000}, \"merges\": []}}", "vocabulary ids must be in"),
            ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [], \"unk_token\": \"<unk>\"}}", "unk token"),
            ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a\"]}}", "is not two tokens"),
            ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [7]}}", "neither"),
            ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"added_tokens\": [{\"content\": \"x\"}]}", "no valid id"),
        ]
        for (json, reason) in cases {
            XCTAssertThrowsError(try BPETokenizer(TokenizerJSONReader.parse(Data(json.utf8), source: "t.json"))) { error in
                guard case .corruptFile(let path, let why)? = error as? EngineError else { return XCTFail("\(reason): \(error)") }
                XCTAssertEqual(path, "t.json")
                XCTAssertTrue(why.contains(reason), "\(why) should say \(reason)")
            }
        }
        XCTAssertThrowsError(try TokenizerLoader.load(tokenizerJSON: "/nonexistent/tokenizer.json")) { error in
            guard case .io(let path, _)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "/nonexistent/tokenizer.json")
        }
    }

    /// Merge lines with spaces inside tokens: the one split whose halves and join are tokens
    /// (what newer tokenizers releases do; 0.23 rejects such lines).
    func testMergeLinesWithSpacesInsideTokens() throws {
        let tok = try tokenizer(vocab: ["a": 0, " ": 1, "a ": 2, "a a": 3, "b": 4], merges: ["a  ", "a  a"])
        XCTAssertEqual(tok.encode("a a", addSpecialTokens: false), [3])
    }
}

/// Normalizers as HF applies them, including its Unicode 9.0 tables: a character encoded later
/// (U+32FF SQUARE ERA NAME REIWA, Unicode 12.1) has no NFKC mapping in HF (checked with
/// `tokenizers.normalizers.NFKC`), while Foundation would map it to U+4EE4 U+548C.
final class TokenizerNormalizerTests: XCTestCase {
    private func apply(_ spec: NormalizerSpec, _ text: String) -> String {
        let out = Array(text.utf8).withUnsafeBufferPointer { CompiledNormalizer(spec).apply($0) }
        return String(decoding: out, as: UTF8.self)
    }

    func testUnicodeForms() {
        XCTAssertEqual(Array(apply(.nfd, "\u{E9}").unicodeScalars), ["e", "\u{301}"])
        XCTAssertEqual(Array(apply(.nfc, "e\u{301}").unicodeScalars), ["\u{E9}"])
        XCTAssertEqual(apply(.nfkd, "\u{FB01}"), "fi")
        XCTAssertEqual(Array(apply(.nfkc, "\u{FF21}\u{2460}").unicodeScalars), ["A", "1"])
        XCTAssertEqual(Array(apply(.nfkc, "\u{32FF}").unicodeScalars), ["\u{32FF}"])
        // A Unicode 10.0 mark (U+1DF6) is an unknown starter to HF: no reordering around it.
        XCTAssertEqual(Array(apply(.nfd, "a\u{1DF6}\u{316}").unicodeScalars), ["a", "\u{1DF6}", "\u{316}"])
        XCTAssertEqual(Array(apply(.nfd, "a\u{1E944}\u{316}").unicodeScalars), ["a", "\u{316}", "\u{1E944}"])
    }

    func testPrependReplaceStrip() {
        let llama2: NormalizerSpec = .sequence([.prepend("\u{2581}"), .replace(pattern: " ", content: "\u{2581}")])
        XCTAssertEqual(apply(llama2, "a b  c"), "\u{2581}a\u{2581}b\u{2581}\u{2581}c")
        XCTAssertEqual(apply(llama2, ""), "")
        XCTAssertEqual(apply(.strip(left: true, right: false), " \u{3000}a b \n"), "a b \n")
        XCTAssertEqual(apply(.strip(left: true, right: true), "\t a b \u{A0}"), "a b")
    }
}
