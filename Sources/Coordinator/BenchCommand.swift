import Engine
import Foundation

/// `twossp bench engine`: forward-pass throughput against the machine's sgemm roofline,
/// both measured in the same invocation with the same thread count.
enum BenchCommand {
    static let usage = """
    usage: twossp bench tokenizer [--model MODEL] [--text TEXT]
           twossp bench engine [--model MODEL] [--seq-len 2048] [--windows 2] [--threads N] [--profile] [--json]

    Runs full windows (batch 1, random but fixed token ids) through the model with loss, and an
    sgemm of the same work size class, and prints tokens/s, achieved GFLOP/s, the sgemm GFLOP/s
    and their ratio (the roofline fraction). --profile adds the time spent in each phase.

    bench tokenizer: single-threaded encoding speed (best of 3) of MODEL's tokenizer on TEXT
    (default smollm2-135m on wiki); prints {"tokens", "seconds", "tokens_per_second"}.
    bench/tokenizer_bench.sh compares it with HF tokenizers in the same invocation.
    """

    static func tokenizer(_ argv: [String]) throws {
        let args = try Arguments(argv, options: ["model", "text"], flags: [])
        if args.helpRequested { print(usage); return }
        let model = try AssetCache.resolveModel(args.string("model") ?? "smollm2-135m")
        let text = try AssetCache.resolveCorpus(args.string("text") ?? "wiki")
        let (tokens, seconds) = try TokenizerBenchmark.run(modelPath: model, textPath: text)
        print(try JSONText.encode(["tokens": tokens, "seconds": seconds, "tokens_per_second": Double(tokens) / seconds,
                                   "model": model, "text": text]))
    }

    static func run(_ argv: [String]) throws {
        guard let what = argv.first, !what.hasPrefix("-") else {
            if argv.contains("--help") || argv.contains("-h") { print(usage); return }
            throw UsageError("name a benchmark: engine or tokenizer")
        }
        if what == "tokenizer" { return try tokenizer(Array(argv.dropFirst())) }
        guard what == "engine" else { throw UsageError("unknown benchmark '\(what)' (known: engine, tokenizer)") }
        let args = try Arguments(Array(argv.dropFirst()), options: ["model", "seq-len", "windows", "threads"], flags: ["json", "quiet", "profile"])
        if args.helpRequested { print(usage); return }
        Progress.quiet = args.flag("quiet")
        let threads = try args.int("threads", default: ProcessInfo.processInfo.activeProcessorCount, range: 1...1024)!
        ComputeThreads.set(threads)
        let seqLen = try args.int("seq-len", default: 2048, range: 2...65536)!
        let windowCount = try args.int("windows", default: 2, range: 1...1000)!
        let modelPath = try AssetCache.resolveModel(args.string("model") ?? "smollm2-135m")
        let opened = try ModelFiles.open(modelPath)
        var model = try LlamaModel.load(config: opened.config, source: opened.tensors)

        var generator = SplitMix64(seed: 42)
        let ids = (0..<(seqLen * windowCount)).map { _ in Int32(generator.next() % UInt64(opened.config.vocabSize)) }
        let windows = try Perplexity.windows(of: ids, sequenceLength: seqLen)
        // Warm-up: one short pass faults in the weights and starts the threads.
        _ = try Perplexity.evaluate(model: &model, windows: [windows[0].prefix(min(seqLen, 64))])
        PhaseTimer.enabled = args.flag("profile")
        let progress = Progress("bench engine", total: windows.count)
        let start = Date()
        _ = try Perplexity.evaluate(model: &model, windows: windows) { done, _ in progress.update(done) }
        let seconds = Date().timeIntervalSince(start)
        let phases = PhaseTimer.snapshot()
        PhaseTimer.enabled = false
        let flops = FlopCount.window(config: opened.config, length: seqLen) * Double(windows.count)
        let gemm = SgemmRoofline.measure(size: 2048)
        let modelGFlops = flops / seconds / 1e9
        var figures: [String: Any] = [
            "model": modelPath, "threads": threads, "seq_len": seqLen, "windows": windows.count,
            "seconds": seconds, "tokens_per_second": Double(seqLen * windows.count) / seconds,
            "gflop_per_token": flops / Double(seqLen * windows.count) / 1e9,
            "model_gflops": modelGFlops, "sgemm_gflops": gemm, "roofline_fraction": modelGFlops / gemm,
        ]
        if !phases.isEmpty { figures["phase_seconds"] = Dictionary(uniqueKeysWithValues: phases.map { ($0.key.rawValue, $0.value) }) }
        if args.flag("json") { print(try JSONText.encode(figures)); return }
        print(String(format: """
            engine: %d x %d tokens, %d threads: %.1f tokens/s, %.3f GFLOP/token
            achieved %.1f GFLOP/s; sgemm 2048^3 %.1f GFLOP/s; roofline fraction %.3f
            """, windows.count, seqLen, threads, Double(seqLen * windows.count) / seconds,
            flops / Double(seqLen * windows.count) / 1e9, modelGFlops, gemm, modelGFlops / gemm))
        for (phase, t) in phases.sorted(by: { $0.value > $1.value }) {
            print(String(format: "  %-20@ %6.2f s  %5.1f%%", phase.rawValue as NSString, t, 100 * t / seconds))
        }
    }
}

/// Best-of-3 sgemm GFLOP/s at n x n x n with the current thread count.
enum SgemmRoofline {
    static func measure(size n: Int) -> Double {
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var best = Double.infinity
        for _ in 0..<3 {
            let t = Date()
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
                BLAS.parallelSgemm(m: n, n: n, k: n, a: a.baseAddress!, lda: n, b: b.baseAddress!, ldb: n, transposeB: true,
                           c: c.baseAddress!, ldc: n)
            } } }
            best = min(best, Date().timeIntervalSince(t))
        }
        return 2 * Double(n) * Double(n) * Double(n) / best / 1e9
    }
}

/// A small deterministic PRNG (SplitMix64) for reproducible benchmark inputs.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
