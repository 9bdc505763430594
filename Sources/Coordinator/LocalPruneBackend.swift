import Engine
import Foundation

/// Prune in this process (`--workers 0`): the model is held whole and every forward pass runs here.
struct LocalPruneBackend: PruneBackend {
    let input: OpenedModel
    let batchSize: Int
    var dense: LlamaModel
    var current: LlamaModel
    var lastPruned: LlamaModel?

    init(input: OpenedModel, batchSize: Int) throws {
        self.input = input
        self.batchSize = batchSize
        note("loading \(input.path)...")
        dense = try LlamaModel.load(config: input.config, source: input.tensors)
        current = dense
    }

    mutating func evaluate(_ sets: [EvalSet], label: String) throws -> [String: Double] {
        try evaluateSets(sets, label: label) { set, progress in
            try Perplexity.evaluate(model: &current, windows: set.windows, batchSize: batchSize) { d, _ in progress(d) }.perplexity
        }
    }

    mutating func neuronImportance(calibration: [Int32], settings: PruningSettings) throws -> NeuronImportance {
        let bar = Progress("stage 1", total: settings.calibrationSamples)
        return try TwoStagePruner.neuronImportance(model: &dense, calibration: calibration, settings: settings) { event in
            if case .stage1(let done, _) = event { bar.update(done) }
        }
    }

    mutating func prune(sparsity: Double, importance: NeuronImportance, calibration: [Int32],
                        settings: PruningSettings) throws -> SparsityResult {
        let plan = try Balancing.plan(config: dense.config, sparsity: sparsity, alpha: settings.alpha, attentionOverride: settings.attentionOverride)
        let bar = Progress(String(format: "stage 2 (s=%.3g)", sparsity), total: max(1, StageTwo.candidateCount(plan: plan, config: dense.config)))
        var done = 0
        let outcome = try TwoStagePruner.prune(dense: dense, importance: importance, sparsity: sparsity,
                                               calibration: calibration, settings: settings) { event in
            if case .stage2(_, let iteration, let iterations, let c, let of) = event {
                done += 1
                bar.update(done, detail: "iteration \(iteration)/\(iterations), candidate \(c)/\(of)")
            }
        }
        if done == 0 { bar.update(1) }
        current = outcome.prunedModel
        return SparsityResult(plan: outcome.plan, keptNeurons: outcome.keptNeurons, search: outcome.search,
                              stage2Seconds: outcome.stage2Seconds)
    }

    mutating func write(_ result: SparsityResult, to directory: String, dtype: StorageType) throws {
        try PrunedModelWriter.write(current, to: directory, dtype: dtype, input: input)
        // Evaluate what was written, so the report matches `twossp eval --model DIR` exactly.
        let written = try ModelFiles.open(directory)
        current = try LlamaModel.load(config: written.config, source: written.tensors)
    }

    mutating func finish() {}
    func clusterReport() -> [String: Any]? { nil }
}

enum StageTwo {
    /// Candidate evaluations of a whole stage-2 search: L, L-1, ... for N_attn iterations.
    static func candidateCount(plan: BalancedPlan, config: ModelConfig) -> Int {
        let present = config.numHiddenLayers - config.removedAttentionBlocks.count
        return (0..<plan.attentionRemovals).reduce(0) { $0 + present - $1 }
    }
}
