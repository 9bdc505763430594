import Engine
import Foundation

/// An evaluation set, with the windows it contributes.
struct EvalSet {
    let source: TokenSource
    let offset: Int
    let windows: [ArraySlice<Int32>]
}

/// One sparsity's decisions, however they were computed.
struct SparsityResult {
    var plan: BalancedPlan
    var keptNeurons: [[Int]]
    var search: AttentionRemovalSearch
    var stage2Seconds: Double
}

/// Where the forward passes of a prune run happen: in this process, or on workers.
/// The run's logic (PruneRun) is the same for both, so their reports are comparable bit for bit.
protocol PruneBackend {
    /// Perplexity of the current model (dense until a sparsity was pruned) on each set.
    mutating func evaluate(_ sets: [EvalSet], label: String) throws -> [String: Double]
    mutating func neuronImportance(calibration: [Int32], settings: PruningSettings) throws -> NeuronImportance
    /// Prunes the dense model at `sparsity`; the pruned model becomes the current one.
    mutating func prune(sparsity: Double, importance: NeuronImportance, calibration: [Int32],
                        settings: PruningSettings) throws -> SparsityResult
    /// Writes the current (pruned) model; afterwards the current model is exactly what was written.
    mutating func write(_ result: SparsityResult, to directory: String, dtype: StorageType) throws
    mutating func finish()
    /// Facts about where the work ran, for the report (nil in process).
    func clusterReport() -> [String: Any]?
}

/// Everything a prune run reads before computing: the model, the calibration and eval tokens.
struct PruneInputs {
    let modelPath: String
    let input: OpenedModel
    let calibration: TokenSource
    let evalSets: [EvalSet]

    init(options: PruneOptions) throws {
        let settings = options.settings
        modelPath = try AssetCache.resolveModel(options.model)
        input = try ModelFiles.open(modelPath)
        calibration = try TokenSource.load(options.calibration, modelPath: modelPath)
        let needed = settings.calibrationTokensNeeded
        guard calibration.ids.count >= needed else {
            throw EngineError.invalidArgument("calibration text too short: \(max(settings.calibrationSamples, settings.stage2Samples)) samples of \(settings.sequenceLength) tokens need \(needed) tokens, \(options.calibration) has \(calibration.ids.count)")
        }
        // Check every plan before any expensive work, so an infeasible sparsity fails at once.
        for s in settings.sparsities {
            _ = try Balancing.plan(config: input.config, sparsity: s, alpha: settings.alpha, attentionOverride: settings.attentionOverride)
        }
        let calibration = self.calibration, modelPath = self.modelPath
        evalSets = try options.evalSets.map { name -> EvalSet in
            let source = name == options.calibration ? calibration : try TokenSource.load(name, modelPath: modelPath)
            // Windows of the calibration text start after the calibration range, so they never overlap.
            let offset = name == options.calibration ? needed : 0
            let windows = try Perplexity.windows(of: source.ids, sequenceLength: settings.sequenceLength,
                                                 offset: offset, limit: options.evalWindows)
            return EvalSet(source: source, offset: offset, windows: windows)
        }
    }
}

/// One `twossp prune` invocation: dense evaluation, stage 1, then per sparsity stage 2,
/// export, evaluation of the written model, and the report.
struct PruneRun {
    let options: PruneOptions
    let inputs: PruneInputs

    func execute(on backend: inout some PruneBackend) throws {
        let started = Date()
        let settings = options.settings
        var timings: [String: Double] = [:]
        var t = Date()
        let densePerplexity = try backend.evaluate(inputs.evalSets, label: "eval dense")
        timings["eval_dense"] = Date().timeIntervalSince(t)
        t = Date()
        let importance = try backend.neuronImportance(calibration: inputs.calibration.ids, settings: settings)
        timings["stage1"] = Date().timeIntervalSince(t)

        var runs: [[String: Any]] = []
        for sparsity in settings.sparsities {
            let result = try backend.prune(sparsity: sparsity, importance: importance, calibration: inputs.calibration.ids, settings: settings)
            var outDir: String? = nil
            if let out = options.out {
                let dir = settings.sparsities.count == 1 ? out : (out as NSString).appendingPathComponent(String(format: "sparsity-%.4g", sparsity))
                note("writing \(dir)...")
                try backend.write(result, to: dir, dtype: options.dtype)
                outDir = dir
            }
            t = Date()
            let pruned = try backend.evaluate(inputs.evalSets, label: String(format: "eval s=%.3g", sparsity))
            runs.append(PruneReport.run(result, denseConfig: inputs.input.config, evaluation: pruned, outDir: outDir,
                                        dtype: options.dtype, evalSeconds: Date().timeIntervalSince(t)))
        }
        backend.finish()
        let cluster = backend.clusterReport()
        timings["total"] = Date().timeIntervalSince(started)
        var report = PruneReport.document(options: options, input: inputs.input, calibration: inputs.calibration,
                                          evalSets: inputs.evalSets, densePerplexity: densePerplexity, runs: runs, timings: timings)
        report["cluster"] = cluster ?? ["workers": 0, "mode": "in-process", "threads": Parallel.width]
        if let path = options.report {
            let json = try JSONText.encode(report, pretty: true) + "\n"
            if path == "-" { print(json, terminator: "") } else { try PrunedModelWriter.atomicWrite(Data(json.utf8), to: path) }
        }
        if options.report != "-" { print(PruneReport.summary(report)) }
    }
}

/// Progress bar over a sequence of evaluation sets.
func evaluateSets(_ sets: [EvalSet], label: String, _ evaluateOne: (EvalSet, (Int) -> Void) throws -> Double) rethrows -> [String: Double] {
    var result: [String: Double] = [:]
    let bar = Progress(label, total: sets.reduce(0) { $0 + $1.windows.count })
    var done = 0
    for set in sets {
        let before = done
        result[set.source.name] = try evaluateOne(set) { d in done = before + d; bar.update(done) }
    }
    return result
}
