import Engine
import Foundation

/// The JSON report of `twossp prune` and its short human summary.
enum PruneReport {
    /// One sparsity's part of the report.
    static func run(_ outcome: SparsityResult, denseConfig: ModelConfig, evaluation: [String: Double], outDir: String?,
                    dtype: StorageType, evalSeconds: Double) -> [String: Any] {
        let plan = outcome.plan
        let denseTotal = totalParameters(denseConfig)
        let prunedTotal = denseTotal - (plan.mainParameters - plan.prunedMainParameters)
        var run: [String: Any] = [
            "target_sparsity": plan.targetSparsity,
            "n_attention_removed": plan.attentionRemovals,
            "ffn_width": plan.ffnWidth,
            "ffn_width_dense": denseConfig.intermediateSize,
            "removed_attention_blocks": outcome.search.removed,
            "realised_sparsity": [
                "decoder_blocks": plan.realisedSparsity,
                "whole_model": 1 - Double(prunedTotal) / Double(denseTotal),
            ],
            "parameters": [
                "decoder_blocks_dense": plan.mainParameters, "decoder_blocks_pruned": plan.prunedMainParameters,
                "whole_model_dense": denseTotal, "whole_model_pruned": prunedTotal,
                "convention": "input_layernorm of blocks without attention is kept and counted",
            ],
            "stage2": outcome.search.history.enumerated().map { i, it in
                ["iteration": i + 1, "winner": it.winner,
                 "candidates": it.results.map { ["block": $0.block, "perplexity": $0.perplexity] }] as [String: Any]
            },
            "kept_neurons_sha256": keptNeuronsHash(outcome.keptNeurons),
            "pruned_perplexity": evaluation,
            "seconds": ["stage2": outcome.stage2Seconds, "eval_pruned": evalSeconds],
            "dtype": dtype.rawValue.lowercased(),
        ]
        if let outDir { run["output"] = outDir }
        return run
    }

    static func document(options: PruneOptions, input: OpenedModel, calibration: TokenSource, evalSets: [EvalSet],
                         densePerplexity: [String: Double], runs: [[String: Any]], timings: [String: Double]) -> [String: Any] {
        let s = options.settings
        var calibrationInfo = calibration.description
        calibrationInfo["stage1_token_range"] = [0, s.calibrationSamples * s.sequenceLength]
        calibrationInfo["stage2_token_range"] = [0, s.stage2Samples * s.sequenceLength]
        var doc: [String: Any] = [
            "tool": "twossp prune",
            "inputs": [
                "model": options.model, "model_path": input.path, "model_format": input.format.rawValue,
                "model_sha256": (try? modelHash(input)) ?? NSNull(),
                "calibration": calibrationInfo,
                "evaluation": evalSets.map { set -> [String: Any] in
                    var e = set.source.description
                    e["token_range"] = [set.offset, set.offset + set.windows.count * s.sequenceLength]
                    e["windows"] = set.windows.count
                    return e
                },
            ],
            "settings": [
                "sparsities": s.sparsities, "alpha": s.alpha, "attention_count_override": s.attentionOverride.map { $0 as Any } ?? NSNull(),
                "seq_len": s.sequenceLength, "calibration_samples": s.calibrationSamples,
                "stage2_samples": s.stage2Samples, "prefix_cache": s.usePrefixCache,
            ],
            "dense_perplexity": densePerplexity,
            "seconds": timings,
            "runs": runs,
        ]
        // With one sparsity, its fields are also at the top level for easy scripting.
        if runs.count == 1 { for (k, v) in runs[0] where k != "seconds" { doc[k] = v } }
        return doc
    }

    static func summary(_ report: [String: Any]) -> String {
        let dense = report["dense_perplexity"] as? [String: Double] ?? [:]
        let sets = dense.keys.sorted()
        var lines: [String] = []
        let header = "sparsity  attn removed  FFN width  " + sets.map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined()
        lines.append(header)
        lines.append("dense     -             -          " + sets.map { String(format: "%-12.3f", dense[$0]!) }.joined())
        for run in report["runs"] as? [[String: Any]] ?? [] {
            let ppl = run["pruned_perplexity"] as? [String: Double] ?? [:]
            let s = run["target_sparsity"] as? Double ?? 0
            let removed = run["removed_attention_blocks"] as? [Int] ?? []
            lines.append(String(format: "%-9.3g %-13d %-10d ", s, removed.count, run["ffn_width"] as? Int ?? 0)
                         + sets.map { String(format: "%-12.3f", ppl[$0] ?? .nan) }.joined())
            lines.append("          removed attention (in order): \(removed)" + ((run["output"] as? String).map { "  → \($0)" } ?? ""))
        }
        if let t = report["seconds"] as? [String: Double], let total = t["total"] { lines.append(String(format: "total %.1f s", total)) }
        return lines.joined(separator: "\n")
    }

    /// All parameters of the model (embedding, head if untied, final norm, blocks).
    static func totalParameters(_ c: ModelConfig) -> Int {
        let block = BlockParameters(config: c)
        return c.vocabSize * c.hiddenSize * (c.tieWordEmbeddings ? 1 : 2) + c.hiddenSize + c.numHiddenLayers * block.block
    }

    static func keptNeuronsHash(_ kept: [[Int]]) -> String {
        let flat = kept.flatMap { $0.map { Int32($0).littleEndian } }
        return flat.withUnsafeBytes { SHA256.hex(of: $0) }
    }

    /// sha256 of the GGUF file, or of the concatenated sha256s of an HF directory's safetensors files.
    static func modelHash(_ input: OpenedModel) throws -> String {
        if input.format == .gguf { return try SHA256.hex(ofFileAt: input.path) }
        let files = try FileManager.default.contentsOfDirectory(atPath: input.path).filter { $0.hasSuffix(".safetensors") }.sorted()
        let joined = try files.map { try SHA256.hex(ofFileAt: (input.path as NSString).appendingPathComponent($0)) }.joined()
        return Data(joined.utf8).withUnsafeBytes { SHA256.hex(of: $0) }
    }
}
