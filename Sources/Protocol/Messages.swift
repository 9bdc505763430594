import Engine
import Foundation

/// A worker introducing itself. Sent first, and nothing else is accepted before a Welcome.
public struct Hello: Sendable, Equatable {
    public var wireMajor: UInt16 = WireVersion.major
    public var wireMinor: UInt16 = WireVersion.minor
    /// Random per process start: a restarted worker is a new worker.
    public var sessionID: String
    public var name: String
    public var hostname: String
    public var pid: Int
    public var threads: Int
    /// Path of the model on the worker's host (`--model`), or nil to have blocks streamed.
    public var modelPath: String?

    public init(sessionID: String, name: String, hostname: String, pid: Int, threads: Int, modelPath: String?) {
        self.sessionID = sessionID; self.name = name; self.hostname = hostname
        self.pid = pid; self.threads = threads; self.modelPath = modelPath
    }
}

/// The coordinator's acceptance: heartbeats are expected every `heartbeatMs`.
public struct Welcome: Sendable, Equatable {
    public var workerIndex: Int
    public var heartbeatMs: Int
    public init(workerIndex: Int, heartbeatMs: Int) { self.workerIndex = workerIndex; self.heartbeatMs = heartbeatMs }
}

/// Which blocks a worker holds, and where their weights come from.
public struct LoadShard: Sendable, Equatable {
    public var shardID: Int
    public var blocks: Range<Int>
    public var embedding: Bool
    public var head: Bool
    /// The model's config.json as the coordinator parsed it (so both sides agree on shapes).
    public var config: ModelConfig
    /// Load from the worker's own copy (its `--model`) when true, else wait for TensorBundles.
    public var fromLocalFile: Bool
    /// Tensors the coordinator will stream (when not from a local file).
    public var streamedTensorCount: Int

    public init(shardID: Int, blocks: Range<Int>, embedding: Bool, head: Bool, config: ModelConfig,
                fromLocalFile: Bool, streamedTensorCount: Int) {
        self.shardID = shardID; self.blocks = blocks; self.embedding = embedding; self.head = head
        self.config = config; self.fromLocalFile = fromLocalFile; self.streamedTensorCount = streamedTensorCount
    }
}

/// Named fp32 tensors; their data travel as one raw frame each.
public struct TensorBundle: Sendable, Equatable {
    public var tensors: [(name: String, tensor: Tensor)]
    public init(_ tensors: [(name: String, tensor: Tensor)]) { self.tensors = tensors }
    public static func == (a: TensorBundle, b: TensorBundle) -> Bool {
        a.tensors.count == b.tensors.count && zip(a.tensors, b.tensors).allSatisfy { $0.name == $1.name && $0.tensor == $1.tensor }
    }
}

/// Stage-1 result applied: keep these FFN neurons in each of the shard's blocks (derived from
/// the dense weights, which the worker keeps so every sparsity starts from them). Empty
/// `keptNeurons` restores the dense FFNs. `roundTo` rounds weights to the written dtype.
public struct SetWidth: Sendable, Equatable {
    public var keptNeurons: [[Int]]
    public var roundTo: String?
    public init(keptNeurons: [[Int]], roundTo: String? = nil) { self.keptNeurons = keptNeurons; self.roundTo = roundTo }
}

/// One hop of a forward pass: run `blocks` on an input and report what was asked for.
public struct ForwardTask: Sendable, Equatable {
    public enum Input: Sendable, Equatable {
        /// Token ids (first shard: embed them).
        case ids([Int32])
        /// Hidden states [rows, hidden] from the previous shard.
        case hidden(Tensor)
        /// The worker's cached input of `blocks.lowerBound` (from an earlier `cacheInputs` pass).
        case cached
    }
    public var taskID: UInt64
    public var blocks: Range<Int>
    public var sequenceLength: Int
    public var removedAttention: [Int]
    public var input: Input
    /// Keep the input of every block run (stage 2's prefix cache).
    public var cacheInputs: Bool
    /// Report per-sample neuron norms of every block run (stage 1).
    public var collectNorms: Bool
    /// When set (last shard), finish with LM head + loss against these ids instead of returning hidden states.
    public var lossTargets: [Int32]?
    /// Send the output hidden states back (false when nobody needs them: stage 1, cache refresh).
    public var returnHidden: Bool

    public init(taskID: UInt64, blocks: Range<Int>, sequenceLength: Int, removedAttention: [Int], input: Input,
                cacheInputs: Bool = false, collectNorms: Bool = false, lossTargets: [Int32]? = nil, returnHidden: Bool = true) {
        self.taskID = taskID; self.blocks = blocks; self.sequenceLength = sequenceLength
        self.removedAttention = removedAttention; self.input = input; self.cacheInputs = cacheInputs
        self.collectNorms = collectNorms; self.lossTargets = lossTargets; self.returnHidden = returnHidden
    }
}

public struct ForwardResult: Sendable, Equatable {
    public var taskID: UInt64
    /// Output hidden states, unless the task ended with a loss.
    public var hidden: Tensor?
    /// norms[b][s] = neuron norms of block blocks[b] for sample s (when collected).
    public var norms: [[[Double]]]
    /// Per-sequence losses (when lossTargets were given).
    public var losses: [SequenceLoss]
    public var seconds: Double

    public init(taskID: UInt64, hidden: Tensor?, norms: [[[Double]]] = [], losses: [SequenceLoss] = [], seconds: Double = 0) {
        self.taskID = taskID; self.hidden = hidden; self.norms = norms; self.losses = losses; self.seconds = seconds
    }
}

/// What a worker did over a run.
public struct WorkerStats: Sendable, Equatable {
    public var peakRSSBytes: Int
    public var tasks: Int
    public var computeSeconds: Double
    public init(peakRSSBytes: Int, tasks: Int, computeSeconds: Double) {
        self.peakRSSBytes = peakRSSBytes; self.tasks = tasks; self.computeSeconds = computeSeconds
    }
}

/// Everything that crosses the wire.
public enum Message: Sendable, Equatable {
    case hello(Hello)
    case welcome(Welcome)
    /// Refusal with a reason (version, key, duplicate session...); the receiver prints it.
    case reject(String)
    case heartbeat
    /// Orderly end of the run (coordinator → worker) or of the worker (worker → coordinator).
    case bye(String)
    case loadShard(LoadShard)
    case shardReady(shardID: Int, seconds: Double)
    case tensors(TensorBundle)
    case setWidth(SetWidth)
    case widthSet
    case forward(ForwardTask)
    case forwardResult(ForwardResult)
    /// Ask for the shard's current (pruned) block weights; answered with `.tensors`.
    case gatherWeights(removedAttention: [Int])
    /// A task or request that failed on the worker, with its reason.
    case failure(taskID: UInt64?, message: String)
    /// A worker's parting figures, sent in answer to `bye`.
    case workerStats(WorkerStats)
}
