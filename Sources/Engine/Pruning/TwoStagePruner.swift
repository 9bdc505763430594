import Foundation

/// What to prune and how (the `twossp prune` options, minus input and output paths).
public struct PruningSettings: Sendable {
    public var sparsities: [Double]
    public var alpha: Double = 1.5
    public var attentionOverride: Int? = nil
    public var sequenceLength: Int = 2048
    public var calibrationSamples: Int = 32
    public var stage2Samples: Int = 1
    public var usePrefixCache: Bool = true
    public var batchSize: Int = 1

    public init(sparsities: [Double]) { self.sparsities = sparsities }

    /// Calibration tokens needed: slices 0..<max(C, stage-2 samples) of `sequenceLength`.
    public var calibrationTokensNeeded: Int { max(calibrationSamples, stage2Samples) * sequenceLength }
}

/// One sparsity's result: the plan, the kept neurons, the removals and the pruned model.
public struct PruningOutcome: Sendable {
    public var plan: BalancedPlan
    /// Per block, the kept FFN neurons (ascending original indices).
    public var keptNeurons: [[Int]]
    public var search: AttentionRemovalSearch
    public var prunedModel: LlamaModel
    public var stage2Seconds: Double
}

/// Progress events of a pruning run (for bars and logs).
public enum PruningProgress: Sendable {
    case stage1(samplesDone: Int, of: Int)
    case stage2(sparsity: Double, iteration: Int, iterations: Int, candidatesDone: Int, candidates: Int)
}

/// 2SSP on one host: stage 1 once on the dense model (scores shared by every sparsity), then
/// for each sparsity the width-pruned model and the greedy attention-removal search.
public enum TwoStagePruner {
    /// Stage 1: neuron importances of every block from `calibrationSamples` dense forward passes.
    public static func neuronImportance(model: inout LlamaModel, calibration ids: [Int32], settings: PruningSettings,
                                        progress: ((PruningProgress) -> Void)? = nil) throws -> NeuronImportance {
        let T = settings.sequenceLength, C = settings.calibrationSamples
        try requireTokens(ids, settings)
        let blocks = model.blockRange
        let width = model.block(blocks.lowerBound).ffn.width
        var importance = NeuronImportance(blocks: blocks, width: width)
        var start = 0
        while start < C {
            let batch = min(settings.batchSize, C - start)
            let tokens = Array(ids[(start * T)..<((start + batch) * T)])
            var perSample = Array(repeating: [[Double]](), count: batch)
            var hidden = try model.embed(tokens)
            try model.runBlocks(hidden: &hidden, sequenceLength: T, observeFFN: { _, z, _, width in
                for s in 0..<batch {
                    let slice = UnsafeBufferPointer(rebasing: z[(s * T * width)..<((s + 1) * T * width)])
                    perSample[s].append(NeuronImportance.sampleNorms(slice, rows: T, width: width))
                }
            })
            for s in 0..<batch {
                for (offset, norms) in perSample[s].enumerated() { importance.add(block: blocks.lowerBound + offset, norms: norms) }
                importance.finishSample()
            }
            start += batch
            progress?(.stage1(samplesDone: start, of: C))
        }
        return importance
    }

    /// Stage 1 slicing + stage 2 search for one sparsity.
    public static func prune(dense: LlamaModel, importance: NeuronImportance, sparsity: Double,
                             calibration ids: [Int32], settings: PruningSettings,
                             progress: ((PruningProgress) -> Void)? = nil) throws -> PruningOutcome {
        let config = dense.config
        try requireTokens(ids, settings)
        let plan = try Balancing.plan(config: config, sparsity: sparsity, alpha: settings.alpha,
                                      attentionOverride: settings.attentionOverride)
        var narrow = dense
        var kept: [[Int]] = []
        for i in dense.blockRange {
            let neurons = NeuronImportance.keptNeurons(scores: importance.scores(block: i), keep: plan.ffnWidth)
            kept.append(neurons)
            narrow.blocks[i - dense.blockRange.lowerBound].ffn = dense.block(i).ffn.keeping(neurons: neurons, hidden: config.hiddenSize)
        }
        narrow = narrow.withConfig { $0.intermediateSize = plan.ffnWidth }

        let started = Date()
        let T = settings.sequenceLength
        let stage2Tokens = Array(ids[0..<(settings.stage2Samples * T)])
        var runner = try DepthPruningRunner(model: narrow, samples: stage2Tokens, sequenceLength: T,
                                            usePrefixCache: settings.usePrefixCache)
        var search = AttentionRemovalSearch(blockCount: config.numHiddenLayers, removals: plan.attentionRemovals,
                                            absent: Set(config.removedAttentionBlocks))
        while !search.isFinished {
            let candidates = search.candidates
            let iteration = search.history.count + 1
            for (n, block) in candidates.enumerated() {
                let ppl = try runner.perplexity(removingAttention: block)
                if let winner = try search.record(block: block, perplexity: ppl) {
                    try runner.remove(attention: winner)
                }
                progress?(.stage2(sparsity: sparsity, iteration: iteration, iterations: plan.attentionRemovals,
                                  candidatesDone: n + 1, candidates: candidates.count))
            }
        }
        let pruned = try narrow.removingAttention(search.removed)
        return PruningOutcome(plan: plan, keptNeurons: kept, search: search, prunedModel: pruned,
                              stage2Seconds: Date().timeIntervalSince(started))
    }

    static func requireTokens(_ ids: [Int32], _ settings: PruningSettings) throws {
        let needed = settings.calibrationTokensNeeded
        guard ids.count >= needed else {
            throw EngineError.invalidArgument("calibration text too short: \(max(settings.calibrationSamples, settings.stage2Samples)) samples of \(settings.sequenceLength) tokens need \(needed) tokens, found \(ids.count)")
        }
    }
}

extension LlamaModel {
    /// The same weights under an edited config (e.g. a new FFN width).
    public func withConfig(_ edit: (inout ModelConfig) -> Void) -> LlamaModel {
        var c = config
        edit(&c)
        return LlamaModel(config: c, blockRange: blockRange, blocks: blocks, embedding: embedding,
                          finalNorm: finalNorm, lmHead: lmHead)
    }

    /// Drops the attention weights of `removedBlocks` for good and records them in the config.
    public func removingAttention(_ removedBlocks: [Int]) throws -> LlamaModel {
        var copy = withConfig { $0.removedAttentionBlocks = Array(Set($0.removedAttentionBlocks).union(removedBlocks)).sorted() }
        for b in removedBlocks {
            guard blockRange.contains(b) else { throw EngineError.invalidArgument("block \(b) is not in this model") }
            copy.blocks[b - blockRange.lowerBound].attention = nil
        }
        return copy
    }
}
