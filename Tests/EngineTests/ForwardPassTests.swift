import XCTest
@testable import Engine

/// The engine's forward pass against NaiveLlama on tiny random models of every family and
/// attention layout: hidden states, logits and loss must agree to 1e-4 relative.
final class ForwardPassTests: XCTestCase {
    /// 150 tokens: more than one 128-row attention query block, so block boundaries are exercised.
    let length = 150

    func check(_ config: ModelConfig, removed: Set<Int> = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let source = TinyModels.weights(for: config)
        var model = try LlamaModel.load(config: config, source: source)
        let naive = NaiveLlama(c: config, w: source)
        let ids = TinyModels.ids(count: 2 * length, vocab: config.vocabSize)
        var hidden = try model.embed(ids)
        try model.runBlocks(hidden: &hidden, sequenceLength: length, removedAttention: removed)
        let logits = try model.logits(hidden: hidden)
        let losses = try model.nextTokenLoss(hidden: hidden, ids: ids, sequenceLength: length)
        for s in 0..<2 {
            let seq = Array(ids[(s * length)..<((s + 1) * length)])
            let expectedHidden = naive.hidden(seq, removed: removed)
            let expectedLogits = naive.logits(expectedHidden)
            assertClose(hidden.data[(s * length * config.hiddenSize)..<((s + 1) * length * config.hiddenSize)],
                        expectedHidden.flatMap { $0 }, "hidden, sequence \(s)", file: file, line: line)
            assertClose(logits.data[(s * length * config.vocabSize)..<((s + 1) * length * config.vocabSize)],
                        expectedLogits.flatMap { $0 }, "logits, sequence \(s)", file: file, line: line)
            let expectedNLL = naive.meanNLL(seq, removed: removed)
            XCTAssertEqual(losses[s].mean, expectedNLL, accuracy: 1e-4 * abs(expectedNLL), "mean NLL, sequence \(s)", file: file, line: line)
            XCTAssertEqual(losses[s].count, length - 1, file: file, line: line)
        }
    }

    func assertClose(_ actual: ArraySlice<Float>, _ expected: [Double], _ what: String,
                     file: StaticString, line: UInt) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        let scale = expected.map(abs).max() ?? 1
        var worst = 0.0
        for (a, e) in zip(actual, expected) { worst = max(worst, abs(Double(a) - e)) }
        XCTAssertLessThan(worst / scale, 1e-4, "\(what): max abs error \(worst) against scale \(scale)", file: file, line: line)
    }

    func testLlamaMultiHeadUntied() throws { try check(TinyModels.config(family: "llama", heads: 4, kvHeads: 4)) }
    func testLlamaGroupedQueryTied() throws { try check(TinyModels.config(family: "llama", heads: 4, kvHeads: 2, tied: true)) }
    func testLlamaMultiQuery() throws { try check(TinyModels.config(family: "llama", heads: 4, kvHeads: 1)) }
    func testMistralGroupedQuery() throws { try check(TinyModels.config(family: "mistral", heads: 4, kvHeads: 2)) }
    func testQwen2WithBiasesTied() throws { try check(TinyModels.config(family: "qwen2", heads: 4, kvHeads: 2, tied: true)) }
    func testLinearRopeScaling() throws { try check(TinyModels.config(family: "llama", ropeScaling: .linear(factor: 4))) }
    func testLlama3RopeScaling() throws {
        // Small original context so low, medium and high frequency bands all occur at head dim 8.
        try check(TinyModels.config(family: "llama", ropeScaling: .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64)))
    }
    func testRemovedAttentionSkipsTheModule() throws {
        try check(TinyModels.config(family: "llama", layers: 4), removed: [0, 2])
    }

    func testFFNObserverSeesTheDownProjInput() throws {
        let config = TinyModels.config(family: "llama")
        let source = TinyModels.weights(for: config)
        var model = try LlamaModel.load(config: config, source: source)
        let ids = TinyModels.ids(count: 20, vocab: config.vocabSize)
        var captured: [Int: [Float]] = [:]
        var hidden = try model.embed(ids)
        try model.runBlocks(hidden: &hidden, sequenceLength: 20, observeFFN: { block, z, rows, width in
            XCTAssertEqual(rows, 20); XCTAssertEqual(width, config.intermediateSize)
            captured[block] = Array(z)
        })
        var expected: [Int: [Double]] = [:]
        _ = NaiveLlama(c: config, w: source).hidden(ids) { block, z in expected[block] = z.flatMap { $0 } }
        XCTAssertEqual(captured.keys.sorted(), [0, 1, 2])
        for b in 0..<3 {
            let e = expected[b]!, a = captured[b]!
            let worst = zip(a, e).map { abs(Double($0) - $1) }.max()!
            XCTAssertLessThan(worst / e.map(abs).max()!, 1e-4, "block \(b)")
        }
    }

    func testShardedBlocksComposeToTheWholeModel() throws {
        let config = TinyModels.config(family: "qwen2", layers: 4)
        let source = TinyModels.weights(for: config)
        var whole = try LlamaModel.load(config: config, source: source)
        var first = try LlamaModel.load(config: config, source: source, blocks: 0..<2, embedding: true, head: false)
        var second = try LlamaModel.load(config: config, source: source, blocks: 2..<4, embedding: false, head: true)
        XCTAssertNil(first.lmHead); XCTAssertNil(second.embedding)
        let ids = TinyModels.ids(count: 40, vocab: config.vocabSize)
        var a = try whole.embed(ids)
        try whole.runBlocks(hidden: &a, sequenceLength: 40)
        var b = try first.embed(ids)
        try first.runBlocks(hidden: &b, sequenceLength: 40)
        try second.runBlocks(hidden: &b, sequenceLength: 40)
        XCTAssertEqual(a.data, b.data, "the same blocks in two shards must give identical bits")
        XCTAssertThrowsError(try first.runBlocks(2..<3, hidden: &b, sequenceLength: 40))
    }

    func testBadInputsAreErrorsNotCrashes() throws {
        let config = TinyModels.config(family: "llama")
        var source = TinyModels.weights(for: config)
        var model = try LlamaModel.load(config: config, source: source)
        XCTAssertThrowsError(try model.embed([0, Int32(config.vocabSize)]))
        var hidden = try model.embed([1, 2, 3])
        XCTAssertThrowsError(try model.runBlocks(hidden: &hidden, sequenceLength: 2))
        source.tensors[TensorNames.block(1, TensorNames.up + ".weight")] = Tensor(zeros: [47, 32])
        XCTAssertThrowsError(try LlamaModel.load(config: config, source: source)) { error in
            XCTAssertTrue("\(error)".contains("model.layers.1.mlp.up_proj.weight"), "\(error)")
        }
        source.tensors[TensorNames.block(1, TensorNames.up + ".weight")] = nil
        XCTAssertThrowsError(try LlamaModel.load(config: config, source: source))
        var other = config; other.modelType = "gpt2"
        XCTAssertThrowsError(try LlamaModel.load(config: other, source: source))
    }
}
