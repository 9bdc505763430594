import Foundation
import XCTest
@testable import Engine

/// assets.md's perplexities on the built-in corpora, end to end through the real engine: the
/// cached text (as `twossp fetch` built it), SmolLM2's GGUF tokenizer, the dequantised model and
/// the windows of the paper's protocol. A corpus built differently (e.g. the novels of austen in
/// another order: 34.371 instead of 51.981) fails here even when its size is right.
final class CorpusGoldenTests: XCTestCase {
    /// The first `windows` windows of `sequenceLength` tokens of a cached built-in corpus.
    private func evaluate(_ corpus: String, expectedTokens: Int, sequenceLength: Int,
                          windows: Int = 8) throws -> (PerplexityResult, path: String) {
        guard let recipe = AssetCatalog.corpora.first(where: { $0.name == corpus }) else {
            throw XCTSkip("no built-in corpus \(corpus)")
        }
        let cached = AssetCache.directory.appendingPathComponent(recipe.relativePath).path
        guard FileManager.default.fileExists(atPath: cached) else {
            throw XCTSkip("\(corpus) is not cached at \(cached): run `twossp fetch` first")
        }
        let modelPath = try SmolLM2GoldenTests.modelPath()
        let path = try AssetCache.resolveCorpus(corpus)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let ids = try TokenizerLoader.load(modelPath: modelPath).encode(text, addSpecialTokens: false)
        XCTAssertEqual(ids.count, expectedTokens, "\(corpus): SmolLM2 tokens of \(path)")

        let opened = try ModelFiles.open(modelPath)
        var model = try LlamaModel.load(config: opened.config, source: opened.tensors)
        let slices = try Perplexity.windows(of: ids, sequenceLength: sequenceLength, limit: windows)
        let result = try Perplexity.evaluate(model: &model, windows: slices, batchSize: 1)
        XCTAssertEqual(result.windows, windows)
        XCTAssertEqual(result.tokensScored, windows * (sequenceLength - 1))
        return (result, path)
    }

    private func check(_ corpus: String, tokens: Int, sequenceLength: Int, perplexity expected: Double) throws {
        let (result, path) = try evaluate(corpus, expectedTokens: tokens, sequenceLength: sequenceLength)
        XCTAssertEqual(result.perplexity, expected, accuracy: 0.01,
                       "\(corpus), 8 x \(sequenceLength): \(path) has sha256 \((try? SHA256.hex(ofFileAt: path)) ?? "?")")
    }

    func testWiki128() throws { try check("wiki", tokens: 1_127_637, sequenceLength: 128, perplexity: 14.669) }
    func testShakespeare128() throws { try check("shakespeare", tokens: 1_564_609, sequenceLength: 128, perplexity: 57.138) }
    func testAusten128() throws { try check("austen", tokens: 995_507, sequenceLength: 128, perplexity: 51.981) }
    /// The long-context value (8,192 tokens of compute: the slow one, about 20 s on 2 cores).
    func testWiki1024() throws { try check("wiki", tokens: 1_127_637, sequenceLength: 1024, perplexity: 10.591) }
}
