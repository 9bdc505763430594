import Engine
import Foundation

/// One `twossp prune` invocation, step by step: inputs, dense evaluation, stage 1, then per
/// sparsity stage 2, export, evaluation of the written model, and the report.
struct PruneRun {
    let options: PruneOptions

    /// An evaluation set, with the windows it contributes.
    struct EvalSet {
        let source: TokenSource
        let offset: Int
        let windows: [ArraySlice<Int32>]
    }

    func execute() throws {
        let started = Date()
        let settings = options.settings
        let modelPath = try AssetCache.resolveModel(options.model)
        let input = try ModelFiles.open(modelPath)
        let calibration = try TokenSource.load(options.calibration, modelPath: modelPath)
        let calibrationTokens = settings.calibrationTokensNeeded
        guard calibration.ids.count >= calibrationTokens else {
            throw EngineError.invalidArgument("calibration text too short: \(max(settings.calibrationSamples, settings.stage2Samples)) samples of \(settings.sequenceLength) tokens need \(calibrationTokens) tokens, \(options.calibration) has \(calibration.ids.count)")
        }
        // Check every plan before any expensive work, so an infeasible sparsity fails at once.
        for s in settings.sparsities {
            _ = try Balancing.plan(config: input.config, sparsity: s, alpha: settings.alpha, attentionOverride: settings.attentionOverride)
        }
        let evalSets = try options.evalSets.map { name -> EvalSet in
            let source = name == options.calibration ? calibration : try TokenSource.load(name, modelPath: modelPath)
            let offset = name == options.calibration ? calibrationTokens : 0
            let windows = try Perplexity.windows(of: source.ids, sequenceLength: settings.sequenceLength,
                                                 offset: offset, limit: options.evalWindows)
            return EvalSet(source: source, offset: offset, windows: windows)
        }

        note("loading \(modelPath)...")
        var dense = try LlamaModel.load(config: input.config, source: input.tensors)
        var timings: [String: Double] = [:]
        let denseEval = try evaluate(&dense, on: evalSets, label: "eval dense")
        timings["eval_dense"] = denseEval.seconds

        let stage1Start = Date()
        let stage1Bar = Progress("stage 1", total: settings.calibrationSamples)
        let importance = try TwoStagePruner.neuronImportance(model: &dense, calibration: calibration.ids, settings: settings) { event in
            if case .stage1(let done, _) = event { stage1Bar.update(done) }
        }
        timings["stage1"] = Date().timeIntervalSince(stage1Start)

        var runs: [[String: Any]] = []
        for sparsity in settings.sparsities {
            let plan = try Balancing.plan(config: input.config, sparsity: sparsity, alpha: settings.alpha, attentionOverride: settings.attentionOverride)
            let totalCandidates = (0..<plan.attentionRemovals).reduce(0) { $0 + input.config.numHiddenLayers - input.config.removedAttentionBlocks.count - $1 }
            let bar = Progress(String(format: "stage 2 (s=%.3g)", sparsity), total: max(1, totalCandidates))
            var done = 0
            let outcome = try TwoStagePruner.prune(dense: dense, importance: importance, sparsity: sparsity,
                                                   calibration: calibration.ids, settings: settings) { event in
                if case .stage2(_, let iteration, let iterations, let c, let of) = event {
                    done += 1
                    bar.update(done, detail: "iteration \(iteration)/\(iterations), candidate \(c)/\(of)")
                }
            }
            if totalCandidates == 0 { bar.update(1) }
            var pruned = outcome.prunedModel
            var outDir: String? = nil
            if let out = options.out {
                let dir = settings.sparsities.count == 1 ? out : (out as NSString).appendingPathComponent(String(format: "sparsity-%.4g", sparsity))
                note("writing \(dir)...")
                try PrunedModelWriter.write(pruned, to: dir, dtype: options.dtype, input: input)
                // Evaluate what was written, so the report matches `twossp eval --model DIR` exactly.
                let written = try ModelFiles.open(dir)
                pruned = try LlamaModel.load(config: written.config, source: written.tensors)
                outDir = dir
            }
            let prunedEval = try evaluate(&pruned, on: evalSets, label: String(format: "eval s=%.3g", sparsity))
            runs.append(PruneReport.run(outcome: outcome, dense: dense, evaluation: prunedEval.perplexities,
                                        outDir: outDir, dtype: options.dtype, evalSeconds: prunedEval.seconds))
        }
        timings["total"] = Date().timeIntervalSince(started)
        let report = PruneReport.document(options: options, input: input, calibration: calibration, evalSets: evalSets,
                                          densePerplexity: denseEval.perplexities, runs: runs, timings: timings)
        if let path = options.report {
            let json = try JSONText.encode(report, pretty: true) + "\n"
            if path == "-" { print(json, terminator: "") } else { try PrunedModelWriter.atomicWrite(Data(json.utf8), to: path) }
        }
        if options.report != "-" { print(PruneReport.summary(report)) }
    }

    /// Perplexity of `model` on every evaluation set.
    func evaluate(_ model: inout LlamaModel, on sets: [EvalSet], label: String) throws -> (perplexities: [String: Double], seconds: Double) {
        let start = Date()
        var result: [String: Double] = [:]
        let total = sets.reduce(0) { $0 + $1.windows.count }
        let bar = Progress(label, total: total)
        var done = 0
        for set in sets {
            let before = done
            let r = try Perplexity.evaluate(model: &model, windows: set.windows, batchSize: options.settings.batchSize) { d, _ in
                done = before + d
                bar.update(done)
            }
            result[set.source.name] = r.perplexity
        }
        return (result, Date().timeIntervalSince(start))
    }
}
