import Foundation
import XCTest
@testable import Engine

/// Fixture access for the tokenizer tests (expected ids come from scripts/gen_tokenizer_fixtures.py,
/// i.e. from HF `tokenizers`), plus checks of the helpers themselves.
enum TokenizerFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizer")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: url(name))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static let corpusNames = ["wiki", "shakespeare", "austen"]

    /// A corpus of assets.md, or nil if absent: env TWOSSP_TEST_CORPUS_<NAME> (e.g.
    /// TWOSSP_TEST_CORPUS_WIKI), else the cache ($TWOSSP_CACHE, default ~/.cache/twossp).
    static func corpusText(_ name: String) throws -> String? {
        let env = ProcessInfo.processInfo.environment
        let cache = env["TWOSSP_CACHE"] ?? (NSHomeDirectory() + "/.cache/twossp")
        let path = env["TWOSSP_TEST_CORPUS_\(name.uppercased())"] ?? (cache + "/corpora/\(name).txt")
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    /// The corpora that are present, or skip if none is.
    static func corpora() throws -> [(name: String, text: String)] {
        let found = try corpusNames.compactMap { name in try corpusText(name).map { (name, $0) } }
        if found.isEmpty { throw XCTSkip("no corpus found (set TWOSSP_TEST_CORPUS_WIKI or fetch the corpora)") }
        return found
    }

    /// The SmolLM2 GGUF (assets.md), or skip.
    static func smolLM2Path() throws -> String {
        let path = ProcessInfo.processInfo.environment["TWOSSP_TEST_MODEL_GGUF"]
            ?? (NSHomeDirectory() + "/.cache/twossp/models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf")
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("SmolLM2 GGUF not found at \(path) (set TWOSSP_TEST_MODEL_GGUF)")
        }
        return path
    }

    /// Every scalar of planes 0-3 (and a few beyond) in six contexts; same rule as the generator.
    static func sweepText() -> String { sweep }

    private static let sweep: String = {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2_000_000)
        func scalar(_ c: UInt32) {
            // UTF-8 by hand: this runs unoptimized in debug test builds.
            if c < 0x80 { bytes.append(UInt8(c)) }
            else if c < 0x800 { bytes += [UInt8(0xC0 | (c >> 6)), UInt8(0x80 | (c & 0x3F))] }
            else if c < 0x10000 { bytes += [UInt8(0xE0 | (c >> 12)), UInt8(0x80 | ((c >> 6) & 0x3F)), UInt8(0x80 | (c & 0x3F))] }
            else { bytes += [UInt8(0xF0 | (c >> 18)), UInt8(0x80 | ((c >> 12) & 0x3F)), UInt8(0x80 | ((c >> 6) & 0x3F)), UInt8(0x80 | (c & 0x3F))] }
        }
        var i = 0
        func emit(_ c: UInt32) {
            switch i % 6 {
            case 0: bytes.append(0x78); scalar(c); scalar(c); bytes.append(0x20)               // "x" c c " "
            case 1: bytes.append(0x20); scalar(c); bytes.append(0x37)                          // " " c "7"
            case 2: scalar(c); bytes += [0x27, 0x73, 0x0A]                                     // c "'s\n"
            case 3: bytes += [0x20, 0x20]; scalar(c); bytes += [0xC3, 0xA9]                    // "  " c "é"
            case 4: bytes.append(0x27); scalar(c); bytes += [0x61, 0x20]                       // "'" c "a "
            default: scalar(c); bytes += [0x0D, 0x0A, 0x09]                                    // c "\r\n\t"
            }
            i += 1
        }
        var c: UInt32 = 0
        while c < 0x40000 {
            if c < 0xD800 || c > 0xDFFF { emit(c) }
            c += 1
        }
        for c in UInt32(0xE0000)..<0xE0080 { emit(c) }
        for c: UInt32 in [0xE0100, 0xF0000, 0x10FFFD] { emit(c) }
        return String(decoding: bytes, as: UTF8.self)
    }()

    static func ints(_ value: Any?) -> [Int32] {
        ((value as? [Any]) ?? []).map { Int32(($0 as? NSNumber)?.intValue ?? -1) }
    }

    /// Checks `ids` against a `{count, sha256[, first, last]}` fixture entry.
    static func assertDigest(_ ids: [Int32], _ expected: Any?, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        guard let e = expected as? [String: Any] else {
            XCTFail("no expectation for \(what)", file: file, line: line)
            return
        }
        XCTAssertEqual(ids.count, (e["count"] as? NSNumber)?.intValue, "\(what): token count", file: file, line: line)
        if let first = e["first"] {
            XCTAssertEqual(Array(ids.prefix(ints(first).count)), ints(first), "\(what): first ids", file: file, line: line)
        }
        if let last = e["last"] {
            XCTAssertEqual(Array(ids.suffix(ints(last).count)), ints(last), "\(what): last ids", file: file, line: line)
        }
        XCTAssertEqual(TokenIdDigest.sha256Hex(ids), e["sha256"] as? String, "\(what): sha256 of ids", file: file, line: line)
    }

    /// Hard cases: ids without and with special tokens, and decoded text, as HF gives them.
    static func assertHardCases(_ tokenizer: any TextTokenizer, texts: [String], expected: [String: Any],
                                _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let hard = (expected["hard"] as? [Any]) ?? []
        let special = (expected["hard_special"] as? [Any]) ?? []
        let decoded = (expected["decoded"] as? [String]) ?? []
        XCTAssertEqual(hard.count, texts.count, file: file, line: line)
        for (i, text) in texts.enumerated() where i < hard.count {
            let ids = tokenizer.encode(text, addSpecialTokens: false)
            XCTAssertEqual(ids, ints(hard[i]), "\(what): ids of \(text.debugDescription)", file: file, line: line)
            XCTAssertEqual(tokenizer.encode(text, addSpecialTokens: true), ints(special[i]),
                           "\(what): ids with special tokens of \(text.debugDescription)", file: file, line: line)
            XCTAssertEqual(tokenizer.decode(ints(hard[i])), decoded[i],
                           "\(what): decode of \(text.debugDescription)", file: file, line: line)
        }
    }
}

final class TokenizerFixturesTests: XCTestCase {
    func testSHA256KnownVectors() {
        // The hash itself is checked against FIPS vectors in SHA256Tests.
        // Id layout: little-endian int32, hashed as Python's
        // hashlib.sha256(numpy.asarray(ids, "<i4").tobytes()) does (values computed there).
        XCTAssertEqual(TokenIdDigest.sha256Hex([1, 256, -1]),
                       "a7cb25d042415dced618f3f824a3595c864e51fa376deb8d0ee3964daab2a5ee")
        XCTAssertEqual(TokenIdDigest.sha256Hex((0..<3000).map { Int32($0) }),   // spans several chunks
                       "4f1d9d3f3961a83278f6828a405bb212f99530efabde1c7f245cf4118367d2c3")
        XCTAssertEqual(TokenIdDigest.sha256Hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
