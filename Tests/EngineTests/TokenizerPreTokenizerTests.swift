import Foundation
import XCTest
@testable import Engine

/// The hand-coded pre-tokenizer regexes (GPT-2, Llama-3, Qwen2, SmolLM2's digits + GPT-2) cut
/// text exactly where HF tokenizers (Oniguruma) cuts it: piece lengths compared by hash over
/// every scalar of planes 0-3 in several contexts, the hard cases, and the wiki corpus.
final class TokenizerPreTokenizerTests: XCTestCase {
    private final class LengthSink: WordSink {
        var lengths: [Int32] = []
        func encodeWord(_ p: UnsafePointer<UInt8>, _ n: Int) { lengths.append(Int32(n)) }
    }

    private static let schemes: [String: PreTokenizerSpec] = [
        "gpt2": .byteLevel(addPrefixSpace: false, useRegex: true),
        "llama3": .split(pattern: .regex(KnownSplitRegex.llama3Pattern), behavior: .isolated, invert: false),
        "qwen2": .split(pattern: .regex(KnownSplitRegex.qwen2Pattern), behavior: .isolated, invert: false),
        "smollm": .sequence([.digits(individual: true), .byteLevel(addPrefixSpace: false, useRegex: true)]),
    ]

    private func pieceLengths(_ scheme: String, _ text: String) throws -> [Int32] {
        let compiled = try CompiledPreTokenizer(try XCTUnwrap(Self.schemes[scheme]), source: scheme)
        // The hand-coded scanners must be the ones in use, not the ICU fallback.
        for step in compiled.steps {
            if case .split(let matcher, _, _) = step, case .regex = matcher { XCTFail("\(scheme) fell back to ICU") }
        }
        let sink = LengthSink()
        let runner = PreTokenizerRunner(compiled, sink: sink)
        var text = text
        text.withUTF8 { buf in
            if let base = buf.baseAddress { runner.run(base, buf.count, atStart: true) }
        }
        return sink.lengths
    }

    private func check(_ scheme: String) throws {
        let fixture = try XCTUnwrap(try TokenizerFixtures.json("pretokenizer.json")[scheme] as? [String: Any])
        let texts = try XCTUnwrap(try TokenizerFixtures.json("variants.json")["texts"] as? [String])
        TokenizerFixtures.assertDigest(try pieceLengths(scheme, TokenizerFixtures.sweepText()), fixture["sweep"],
                                       "\(scheme): every scalar of planes 0-3")
        TokenizerFixtures.assertDigest(try pieceLengths(scheme, texts.joined()), fixture["hard"], "\(scheme): hard cases")
        guard let wiki = try TokenizerFixtures.corpusText("wiki") else { throw XCTSkip("wiki corpus not found") }
        TokenizerFixtures.assertDigest(try pieceLengths(scheme, wiki), fixture["wiki"], "\(scheme): wiki corpus")
    }

    func testGPT2Regex() throws { try check("gpt2") }
    func testLlama3Regex() throws { try check("llama3") }
    func testQwen2Regex() throws { try check("qwen2") }
    func testSmolLMDigitsThenGPT2() throws { try check("smollm") }

    /// Hand-checked cuts of the Llama-3 regex, including Oniguruma's case folding of `'s`
    /// (long s U+017F matches) and the line-break rule `\s*[\r\n]+`.
    func testLlama3HandCases() throws {
        func pieces(_ text: String) throws -> [String] {
            var out: [String] = []
            var offset = 0
            let bytes = Array(text.utf8)
            for n in try pieceLengths("llama3", text) {
                out.append(String(decoding: bytes[offset..<(offset + Int(n))], as: UTF8.self))
                offset += Int(n)
            }
            return out
        }
        XCTAssertEqual(try pieces("x'S x'\u{17F}x x'RE"), ["x", "'S", " x", "'\u{17F}", "x", " x", "'RE"])
        XCTAssertEqual(try pieces("a \t\n \n  b"), ["a", " \t\n \n", " ", " b"])
        XCTAssertEqual(try pieces("((a 12345 x\n\n"), ["((", "a", " ", "123", "45", " x", "\n\n"])
        XCTAssertEqual(try pieces("\u{3000}\u{3000}a"), ["\u{3000}", "\u{3000}a"])
    }
}

extension TokenizerPreTokenizerTests {
    /// A Split carrying the GPT-2 regex is recognised and cuts exactly as ByteLevel's regex does.
    func testSplitWithGPT2PatternUsesTheScanner() throws {
        let compiled = try CompiledPreTokenizer(
            .split(pattern: .regex(KnownSplitRegex.gpt2Pattern), behavior: .isolated, invert: false), source: "t")
        guard case .split(.known(.gpt2), _, _)? = compiled.steps.first else { return XCTFail("not the GPT-2 scanner") }
        let fixture = try XCTUnwrap(try TokenizerFixtures.json("pretokenizer.json")["gpt2"] as? [String: Any])
        final class Lengths: WordSink {
            var values: [Int32] = []
            func encodeWord(_ p: UnsafePointer<UInt8>, _ n: Int) { values.append(Int32(n)) }
        }
        let sink = Lengths()
        var text = TokenizerFixtures.sweepText()
        text.withUTF8 { PreTokenizerRunner(compiled, sink: sink).run($0.baseAddress!, $0.count, atStart: true) }
        TokenizerFixtures.assertDigest(sink.values, fixture["sweep"], "Split(GPT-2 regex)")
    }
}
