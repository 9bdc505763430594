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
      --batch N                  sequences per forward pass (default 1, in-process only)
      --threads N                compute threads of the in-process run (default: all cores)
      --quiet                    no progress on stderr

    Distribution (results are bit-identical whatever the layout):
      --workers N                spawn N local workers (default: one per core); 0 = in-process
      --worker-threads N         threads per local worker (default: cores / workers)
      --listen ENDPOINT          wait for remote workers instead, e.g. tcp://0.0.0.0:5555
      --expect-workers N         how many remote workers to wait for (with --listen)
      --wait-workers SECONDS     give up if they have not all joined by then (default: wait)
      --replicas R               R pipelines side by side (default: local workers each hold the
                                 whole model when R copies fit in half the RAM, else 1; remote: 1)
      --secret-key FILE          the coordinator's CURVE secret key (twossp keygen); enables
                                 encryption and authentication
      --allowed-keys FILE        workers' CURVE public keys, one per line (with --secret-key)
      --insecure                 allow a non-loopback --listen without keys
    """

    static func run(_ argv: [String]) throws {
        let args = try Arguments(argv, options: ["model", "sparsity", "alpha", "attention-count", "calibration",
                                                 "calibration-samples", "stage2-samples", "seq-len", "eval", "eval-windows",
                                                 "out", "report", "dtype", "batch", "threads", "workers", "worker-threads",
                                                 "listen", "expect-workers", "wait-workers", "replicas", "secret-key", "allowed-keys"],
                                 flags: ["no-prefix-cache", "quiet", "insecure"])
        if args.helpRequested { print(usage); return }
        Progress.quiet = args.flag("quiet")
        let options = try PruneOptions(args)
        let distribution = try DistributionOptions(args)
        let inputs = try PruneInputs(options: options)
        let run = PruneRun(options: options, inputs: inputs)
        if distribution.inProcess {
            var backend = try LocalPruneBackend(input: inputs.input, batchSize: options.settings.batchSize)
            try run.execute(on: &backend)
        } else {
            let session = try distribution.startSession(modelPath: inputs.modelPath)
            let replicas = distribution.replicas ?? DistributionOptions.automaticReplicas(config: inputs.input.config,
                                                                                          workers: distribution.expected,
                                                                                          local: distribution.listen == nil)
            var backend = try DistributedPruneBackend(input: inputs.input, cluster: session, replicas: replicas,
                                                      calibrationSamples: options.settings.calibrationSamples)
            try run.execute(on: &backend)
        }
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

/// Where the work of `twossp prune` runs: in process, local workers, or remote workers.
struct DistributionOptions {
    var inProcess = false
    var localWorkers = 0
    var workerThreads = 1
    var listen: String?
    var expected = 0
    var waitSeconds: Double?
    /// nil: chosen from the model size and the host's memory (`automaticReplicas`).
    var replicas: Int?
    var security: ClusterEndpoint.Security?

    init(_ args: Arguments) throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        replicas = try args.int("replicas", range: 1...1024)
        waitSeconds = try args.double("wait-workers")
        if let listen = args.string("listen") {
            guard args.string("workers") == nil else { throw UsageError("--listen and --workers exclude each other") }
            guard let n = try args.int("expect-workers", range: 1...100_000) else { throw UsageError("--listen needs --expect-workers N") }
            guard listen.hasPrefix("tcp://") || listen.hasPrefix("ipc://") else { throw UsageError("--listen takes a tcp:// or ipc:// endpoint") }
            self.listen = listen
            expected = n
        } else {
            guard args.string("expect-workers") == nil else { throw UsageError("--expect-workers goes with --listen") }
            localWorkers = try args.int("workers", default: cores, range: 0...1024)!
            inProcess = localWorkers == 0
            expected = localWorkers
            workerThreads = try args.int("worker-threads", default: max(1, cores / max(1, localWorkers)), range: 1...1024)!
        }
        if let secretFile = args.string("secret-key") {
            guard let allowedFile = args.string("allowed-keys") else { throw UsageError("--secret-key needs --allowed-keys FILE") }
            security = ClusterEndpoint.Security(secretKey: try KeygenCommand.readKey(secretFile, what: "--secret-key"),
                                                allowedKeys: Set(try KeygenCommand.readKeyList(allowedFile)))
        } else if args.string("allowed-keys") != nil {
            throw UsageError("--allowed-keys needs --secret-key")
        }
        if let listen, security == nil, !ClusterEndpoint.isLoopback(listen), !args.flag("insecure") {
            throw UsageError("refusing to listen on \(listen) without CURVE keys: anyone who can reach it could join and read the model (use --secret-key and --allowed-keys, or --insecure on a trusted network)")
        }
        if !inProcess, let replicas, expected % replicas != 0 { throw UsageError("\(expected) workers cannot form \(replicas) equal replicas") }
    }

    /// Local workers share one host: each holding the whole model (one replica per worker)
    /// balances every stage perfectly and sends no hidden states between processes, so that is
    /// the default when that many fp32 copies fit in half the memory; otherwise the fewest
    /// replicas that fit, down to one pipeline of shards. Remote layouts are the user's choice.
    static func automaticReplicas(config: ModelConfig, workers: Int, local: Bool) -> Int {
        guard local, workers > 1 else { return 1 }
        let block = BlockParameters(config: config).block
        let bytes = 4 * (config.numHiddenLayers * block + config.vocabSize * config.hiddenSize * (config.tieWordEmbeddings ? 1 : 2))
        let budget = Int(ProcessInfo.processInfo.physicalMemory / 2)
        return (1...workers).filter { workers % $0 == 0 && $0 * bytes <= budget }.max() ?? 1
    }

    func startSession(modelPath: String) throws -> ClusterSession {
        if let listen {
            return try ClusterSession(address: listen, security: security, expected: expected, spawn: nil, waitSeconds: waitSeconds)
        }
        return try ClusterSession(address: "tcp://127.0.0.1:*", security: nil, expected: expected,
                                  spawn: (workerThreads, modelPath), waitSeconds: waitSeconds ?? 120)
    }
}
