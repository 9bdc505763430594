import Engine
import Foundation

/// `twossp prune`: 2SSP on one host — calibrate, prune at one or more sparsities, evaluate
/// before and after, write each pruned model and a JSON report.
enum PruneCommand {
    static let usage = """
    usage: twossp prune --model MODEL --sparsity S[,S...] [options]

    Two-stage structured pruning (2SSP): stage 1 narrows every FFN by neuron importance on the
    dense model; stage 2 removes attention modules one at a time, each the one whose removal
    hurts calibration perplexity least; the balancing formula splits S between the stages.

      --model MODEL              HF directory, .gguf, or built-in name (smollm2-135m)
      --sparsity S[,S...]        target fraction of decoder-block parameters, 0 < S < 1; several
                                 values share stage 1 and each get their own model
      --alpha A                  balancing exponent (default 1.5)
      --attention-count N        remove exactly N attentions (overrides the balancing)
      --calibration SRC          built-in corpus, text file, or int32 ids file (default wiki)
      --calibration-samples C    stage-1 samples of --seq-len tokens (default 32)
      --stage2-samples N         stage-2 samples (default 1)
      --seq-len T                tokens per sample and per evaluation window (default 2048)
      --no-prefix-cache          recompute every candidate from block 0 (reference cost)
      --eval SRC[,SRC...]        evaluation sets (default: wiki,shakespeare,austen; "none" to skip);
                                 windows of the calibration source start after the calibration range
      --eval-windows N           windows per evaluation set (default 8)
      --out DIR                  write the pruned model here (one subdirectory per sparsity
                                 when several are given)
      --report FILE              write the JSON report here ("-" for stdout)
      --dtype f32|f16|bf16       dtype of the written weights (default f32: exact)
      --batch N                  sequences per forward pass (default 1)
      --threads N                compute threads (default: all cores)
      --quiet                    no progress on stderr
    """

    static func run(_ argv: [String]) throws {
        let args = try Arguments(argv, options: ["model", "sparsity", "alpha", "attention-count", "calibration",
                                                 "calibration-samples", "stage2-samples", "seq-len", "eval", "eval-windows",
                                                 "out", "report", "dtype", "batch", "threads"],
                                 flags: ["no-prefix-cache", "quiet"])
        if args.helpRequested { print(usage); return }
        Progress.quiet = args.flag("quiet")
        let options = try PruneOptions(args)
        try PruneRun(options: options).execute()
    }
}

/// The validated options of one `twossp prune`.
struct PruneOptions {
    var model: String
    var settings: PruningSettings
    var calibration: String
    var evalSets: [String]
    var evalWindows: Int
    var out: String?
    var report: String?
    var dtype: StorageType

    init(_ args: Arguments) throws {
        model = try args.required("model")
        let sparsityText = try args.required("sparsity")
        let sparsities = try sparsityText.split(separator: ",").map { part -> Double in
            guard let s = Double(part.trimmingCharacters(in: .whitespaces)), s > 0, s < 1 else {
                throw UsageError("--sparsity values must be numbers strictly between 0 and 1 (got '\(part)')")
            }
            return s
        }
        guard !sparsities.isEmpty else { throw UsageError("--sparsity needs at least one value") }
        guard Set(sparsities).count == sparsities.count else { throw UsageError("--sparsity lists a value twice") }
        settings = PruningSettings(sparsities: sparsities)
        settings.alpha = try args.double("alpha", default: 1.5)!
        guard settings.alpha > 0 else { throw UsageError("--alpha must be positive") }
        settings.attentionOverride = try args.int("attention-count", range: 0...100_000)
        settings.calibrationSamples = try args.int("calibration-samples", default: 32, range: 1...1_000_000)!
        settings.stage2Samples = try args.int("stage2-samples", default: 1, range: 1...1_000_000)!
        settings.sequenceLength = try args.int("seq-len", default: 2048, range: 2...1_048_576)!
        settings.usePrefixCache = !args.flag("no-prefix-cache")
        settings.batchSize = try args.int("batch", default: 1, range: 1...4096)!
        if let threads = try args.int("threads", range: 1...1024) { ComputeThreads.set(threads) }
        calibration = args.string("calibration") ?? "wiki"
        let evalText = args.string("eval") ?? "wiki,shakespeare,austen"
        evalSets = evalText == "none" ? [] : evalText.split(separator: ",").map(String.init)
        evalWindows = try args.int("eval-windows", default: 8, range: 1...1_000_000)!
        out = args.string("out")
        report = args.string("report")
        switch args.string("dtype") ?? "f32" {
        case "f32": dtype = .f32
        case "f16": dtype = .f16
        case "bf16": dtype = .bf16
        case let other: throw UsageError("--dtype must be f32, f16 or bf16 (got '\(other)')")
        }
    }
}
