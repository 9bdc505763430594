import Foundation
import XCTest
@testable import Engine

/// Finding a model's tokenizer, the benchmark entry point, and concurrent use.
final class TokenizerLoaderTests: XCTestCase {
    private func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("twossp-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func testLoadsFromDirectoryOrFileAndReportsMissingOnes() throws {
        let dir = try temporaryDirectory()
        let json = dir.appendingPathComponent("tokenizer.json")
        try FileManager.default.copyItem(at: TokenizerFixtures.url("trained_bytelevel.json"), to: json)
        let fromDir = try TokenizerLoader.load(modelPath: dir.path)
        let fromFile = try TokenizerLoader.load(modelPath: json.path)
        let text = "Hello world, 2024!"
        XCTAssertEqual(fromDir.encode(text, addSpecialTokens: false), fromFile.encode(text, addSpecialTokens: false))
        XCTAssertFalse(fromDir.encode(text, addSpecialTokens: false).isEmpty)

        let empty = try temporaryDirectory()
        XCTAssertThrowsError(try TokenizerLoader.load(modelPath: empty.path)) { error in
            XCTAssertEqual(error as? EngineError, .io(path: empty.path, reason: "model directory has no tokenizer.json"))
        }
        XCTAssertThrowsError(try TokenizerLoader.load(modelPath: dir.path + "/missing.gguf")) { error in
            XCTAssertEqual(error as? EngineError, .io(path: dir.path + "/missing.gguf", reason: "no such file or directory"))
        }
    }

    func testBenchmarkCountsTheTokensOfTheText() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.copyItem(at: TokenizerFixtures.url("trained_bytelevel.json"),
                                         to: dir.appendingPathComponent("tokenizer.json"))
        let textURL = dir.appendingPathComponent("text.txt")
        let text = String(repeating: "The quick brown fox jumps over the lazy dog in 2024.\n", count: 200)
        try text.write(to: textURL, atomically: true, encoding: .utf8)
        let result = try TokenizerBenchmark.run(modelPath: dir.path, textPath: textURL.path, repeats: 2)
        let expected = try TokenizerLoader.load(modelPath: dir.path).encode(text, addSpecialTokens: false).count
        XCTAssertEqual(result.tokens, expected)
        XCTAssertGreaterThan(result.seconds, 0)
    }

    /// One tokenizer shared by several threads gives every thread the same ids.
    func testConcurrentEncodesAgree() throws {
        let tok = try TokenizerLoader.load(tokenizerJSON: TokenizerFixtures.url("trained_sentencepiece.json").path)
        let text = String(repeating: "Concurrency \u{6771}\u{4eac} 12345 don't  stop \u{1F600}\n", count: 300)
        let reference = tok.encode(text, addSpecialTokens: false)
        final class Agreement: @unchecked Sendable {   // guarded by lock
            let lock = NSLock()
            var count = 0
        }
        let agreement = Agreement()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let same = tok.encode(text, addSpecialTokens: false) == reference
            agreement.lock.lock()
            if same { agreement.count += 1 }
            agreement.lock.unlock()
        }
        XCTAssertEqual(agreement.count, 8)
    }
}
