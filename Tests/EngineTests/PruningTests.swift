import XCTest
@testable import Engine

/// Stage 1 and stage 2 against a naive, obviously-correct 2SSP written with NaiveLlama.
final class PruningTests: XCTestCase {
    let T = 24

    func tiny(layers: Int = 4) -> (ModelConfig, MemoryTensorSource) {
        let c = TinyModels.config(family: "llama", heads: 4, kvHeads: 2, layers: layers)
        return (c, TinyModels.weights(for: c, seed: 11))
    }

    /// Naive stage 1: L2 norm over tokens of z per sample, mean over samples, in Double.
    func naiveScores(_ c: ModelConfig, _ w: MemoryTensorSource, _ ids: [Int32], samples: Int) -> [[Double]] {
        var sums = Array(repeating: [Double](repeating: 0, count: c.intermediateSize), count: c.numHiddenLayers)
        for s in 0..<samples {
            _ = NaiveLlama(c: c, w: w).hidden(Array(ids[(s * T)..<((s + 1) * T)])) { block, z in
                for j in 0..<c.intermediateSize { sums[block][j] += z.map { $0[j] * $0[j] }.reduce(0, +).squareRoot() }
            }
        }
        return sums.map { $0.map { $0 / Double(samples) } }
    }

    /// Naive width pruning of the weights by name, independent of FFNWeights.keeping.
    func naiveSlice(_ c: ModelConfig, _ w: MemoryTensorSource, kept: [[Int]]) -> (ModelConfig, MemoryTensorSource) {
        var out = w
        let d = c.hiddenSize
        for (b, neurons) in kept.enumerated() {
            for name in [TensorNames.gate, TensorNames.up] {
                let full = w.tensors[TensorNames.block(b, name + ".weight")]!
                out.tensors[TensorNames.block(b, name + ".weight")] = Tensor(shape: [neurons.count, d], data: neurons.flatMap { full.data[($0 * d)..<(($0 + 1) * d)] })
            }
            let down = w.tensors[TensorNames.block(b, TensorNames.down + ".weight")]!
            out.tensors[TensorNames.block(b, TensorNames.down + ".weight")] = Tensor(shape: [d, neurons.count], data: (0..<d).flatMap { r in neurons.map { down.data[r * c.intermediateSize + $0] } })
        }
        var nc = c
        nc.intermediateSize = kept[0].count
        return (nc, out)
    }

    func testStage1MatchesNaiveScoresAndKeptSets() throws {
        let (c, w) = tiny()
        let ids = TinyModels.ids(count: 3 * T, vocab: c.vocabSize, seed: 5)
        var model = try LlamaModel.load(config: c, source: w)
        var settings = PruningSettings(sparsities: [0.3])
        settings.sequenceLength = T; settings.calibrationSamples = 3; settings.batchSize = 2
        let importance = try TwoStagePruner.neuronImportance(model: &model, calibration: ids, settings: settings)
        let expected = naiveScores(c, w, ids, samples: 3)
        for b in 0..<c.numHiddenLayers {
            let got = importance.scores(block: b)
            for j in 0..<c.intermediateSize {
                XCTAssertEqual(got[j], expected[b][j], accuracy: 1e-6 * expected[b][j] + 1e-12, "block \(b) neuron \(j)")
            }
            let naiveKept = expected[b].indices.sorted { expected[b][$0] > expected[b][$1] }.prefix(30).sorted()
            XCTAssertEqual(NeuronImportance.keptNeurons(scores: got, keep: 30), Array(naiveKept), "block \(b)")
        }
    }

    func testKeptNeuronsTieRuleAndOrder() {
        XCTAssertEqual(NeuronImportance.keptNeurons(scores: [1, 3, 3, 2, 3], keep: 2), [1, 2])
        XCTAssertEqual(NeuronImportance.keptNeurons(scores: [5, 1, 4, 9], keep: 3), [0, 2, 3])
    }

    func testStage2MatchesNaiveGreedySearch() throws {
        let (c, w) = tiny(layers: 5)
        let ids = TinyModels.ids(count: 2 * T, vocab: c.vocabSize, seed: 9)
        var dense = try LlamaModel.load(config: c, source: w)
        var settings = PruningSettings(sparsities: [0.35])
        settings.sequenceLength = T; settings.calibrationSamples = 2; settings.attentionOverride = 3
        let importance = try TwoStagePruner.neuronImportance(model: &dense, calibration: ids, settings: settings)
        let outcome = try TwoStagePruner.prune(dense: dense, importance: importance, sparsity: 0.35, calibration: ids, settings: settings)

        // Naive: slice by name, then greedy over full naive forward passes on sample 0.
        let (nc, nw) = naiveSlice(c, w, kept: outcome.keptNeurons)
        let naive = NaiveLlama(c: nc, w: nw)
        let sample = Array(ids[0..<T])
        var removed: [Int] = []
        for iteration in 0..<3 {
            var best: (block: Int, ppl: Double)? = nil
            for b in 0..<c.numHiddenLayers where !removed.contains(b) {
                let ppl = exp(naive.meanNLL(sample, removed: Set(removed + [b])))
                let engine = outcome.search.history[iteration].results.first { $0.block == b }!.perplexity
                XCTAssertEqual(engine, ppl, accuracy: 1e-5 * ppl, "iteration \(iteration) candidate \(b)")
                if best == nil || ppl < best!.ppl { best = (b, ppl) }
            }
            removed.append(best!.block)
        }
        XCTAssertEqual(outcome.search.removed, removed)
        XCTAssertEqual(outcome.prunedModel.config.removedAttentionBlocks, removed.sorted())
        XCTAssertEqual(outcome.prunedModel.config.intermediateSize, outcome.plan.ffnWidth)
    }

    func testPrefixCacheGivesIdenticalBits() throws {
        let (c, w) = tiny(layers: 5)
        let ids = TinyModels.ids(count: 2 * T, vocab: c.vocabSize, seed: 2)
        var dense = try LlamaModel.load(config: c, source: w)
        var settings = PruningSettings(sparsities: [0.4])
        settings.sequenceLength = T; settings.calibrationSamples = 2; settings.stage2Samples = 2; settings.attentionOverride = 3
        let importance = try TwoStagePruner.neuronImportance(model: &dense, calibration: ids, settings: settings)
        let cached = try TwoStagePruner.prune(dense: dense, importance: importance, sparsity: 0.4, calibration: ids, settings: settings)
        settings.usePrefixCache = false
        let full = try TwoStagePruner.prune(dense: dense, importance: importance, sparsity: 0.4, calibration: ids, settings: settings)
        XCTAssertEqual(cached.search, full.search, "decisions and every candidate perplexity, bit for bit")
        XCTAssertEqual(cached.search.history.count, 3)
    }

    func testTiesGoToTheLowestBlock() throws {
        // Every o_proj is zero: removing any attention changes nothing, so all candidates tie
        // bit for bit and the search must remove blocks 0, 1, 2 in that order.
        var (c, w) = tiny(layers: 4)
        for b in 0..<4 { w.tensors[TensorNames.block(b, TensorNames.o + ".weight")] = Tensor(zeros: [c.hiddenSize, 32]) }
        c.intermediateSize = 48
        let ids = TinyModels.ids(count: T, vocab: c.vocabSize)
        let model = try LlamaModel.load(config: c, source: w)
        var runner = try DepthPruningRunner(model: model, samples: ids, sequenceLength: T)
        var search = AttentionRemovalSearch(blockCount: 4, removals: 3)
        while !search.isFinished {
            for b in search.candidates {
                if let winner = try search.record(block: b, perplexity: runner.perplexity(removingAttention: b)) { try runner.remove(attention: winner) }
            }
        }
        XCTAssertEqual(search.removed, [0, 1, 2])
        let first = search.history[0].results.map { $0.perplexity.bitPattern }
        XCTAssertEqual(Set(first).count, 1, "all candidates must tie exactly")
    }

    func testSearchStateMachineRejectsBadResults() throws {
        var s = AttentionRemovalSearch(blockCount: 3, removals: 2, absent: [1])
        XCTAssertEqual(s.candidates, [0, 2])
        XCTAssertThrowsError(try s.record(block: 1, perplexity: 2))
        XCTAssertThrowsError(try s.record(block: 0, perplexity: .nan))
        XCTAssertNil(try s.record(block: 2, perplexity: 5))
        XCTAssertThrowsError(try s.record(block: 2, perplexity: 5))
        XCTAssertEqual(try s.record(block: 0, perplexity: 5), 0, "tie → lowest block")
        XCTAssertEqual(s.candidates, [2])
        XCTAssertEqual(try s.record(block: 2, perplexity: 1), 2)
        XCTAssertTrue(s.isFinished)
        XCTAssertThrowsError(try s.record(block: 2, perplexity: 1))
    }

    func testTooLittleCalibrationTextSaysHowMuch() throws {
        let (c, w) = tiny()
        var model = try LlamaModel.load(config: c, source: w)
        var settings = PruningSettings(sparsities: [0.3])
        settings.sequenceLength = T; settings.calibrationSamples = 4
        XCTAssertThrowsError(try TwoStagePruner.neuronImportance(model: &model, calibration: TinyModels.ids(count: 50, vocab: 61), settings: settings)) { e in
            XCTAssertTrue("\(e)".contains("need 96 tokens, found 50"), "\(e)")
        }
    }
}
