import Engine

/// How blocks are spread over workers: every replica holds all blocks, cut into the same
/// contiguous shards; workers[r][s] is the worker holding shard s of replica r.
public struct PipelineTopology: Sendable, Equatable {
    public var shards: [Range<Int>]
    public var workers: [[Int]]
    public init(shards: [Range<Int>], workers: [[Int]]) { self.shards = shards; self.workers = workers }
    public var blockCount: Int { shards.last?.upperBound ?? 0 }
    public func shardIndex(of block: Int) -> Int? { shards.firstIndex { $0.contains(block) } }
}

/// A forward pass from `firstBlock` to the end of the model, hopping shard to shard.
public struct PipelineJob: Sendable, Equatable {
    public var id: Int
    /// Run on this replica (cache refreshes), or nil for whichever is least busy.
    public var replica: Int?
    public var firstBlock: Int
    public var input: ForwardTask.Input
    public var sequenceLength: Int
    public var removedAttention: [Int]
    public var cacheInputs = false
    public var collectNorms = false
    public var lossTargets: [Int32]? = nil
    /// Whether the final hidden states are wanted (without a loss); stage 1 and cache refreshes need only side effects.
    public var wantsOutput = true

    public init(id: Int, replica: Int? = nil, firstBlock: Int, input: ForwardTask.Input, sequenceLength: Int,
                removedAttention: [Int], cacheInputs: Bool = false, collectNorms: Bool = false, lossTargets: [Int32]? = nil,
                wantsOutput: Bool = true) {
        self.id = id; self.replica = replica; self.firstBlock = firstBlock; self.input = input
        self.sequenceLength = sequenceLength; self.removedAttention = removedAttention
        self.cacheInputs = cacheInputs; self.collectNorms = collectNorms; self.lossTargets = lossTargets
        self.wantsOutput = wantsOutput
    }
}

/// A finished job: the final hidden states (no loss asked) or the losses, and stage-1 norms by block.
public struct JobOutcome: Sendable, Equatable {
    public var jobID: Int
    public var hidden: Tensor?
    public var losses: [SequenceLoss] = []
    /// norms[block][sample]
    public var norms: [Int: [[Double]]] = [:]
}

/// Pure scheduling of pipeline jobs over workers: jobs and results in, tasks to send and
/// finished jobs out. No sockets and no clocks, so every interleaving can be tested directly.
/// Each worker gets at most `maxInFlight` tasks at once (one computing, one queued behind it
/// so the worker never idles while the next input is on the wire).
public struct PipelineScheduler: Sendable {
    public let topology: PipelineTopology
    public let maxInFlight: Int
    private var nextTaskID: UInt64 = 1

    struct Hop: Sendable { var jobID: Int; var replica: Int; var shard: Int; var task: ForwardTask }
    private var waitingJobs: [PipelineJob] = []
    private var readyHops: [Hop] = []
    private var inFlight: [UInt64: (hop: Hop, worker: Int)] = [:]
    private var partial: [Int: JobOutcome] = [:]
    private var jobs: [Int: PipelineJob] = [:]

    public init(topology: PipelineTopology, maxInFlight: Int = 2) {
        self.topology = topology
        self.maxInFlight = maxInFlight
    }

    /// Forward tasks handed out so far.
    public var tasksIssued: Int { Int(nextTaskID) - 1 }

    public var isIdle: Bool { waitingJobs.isEmpty && readyHops.isEmpty && inFlight.isEmpty }
    public var pendingJobCount: Int { jobs.count }

    public mutating func submit(_ newJobs: [PipelineJob]) throws {
        for job in newJobs {
            guard topology.shardIndex(of: job.firstBlock) != nil else {
                throw WireError("job \(job.id) starts at block \(job.firstBlock), outside the model")
            }
            if case .ids = job.input, job.firstBlock != 0 { throw WireError("job \(job.id): token ids can only enter at block 0") }
            if let r = job.replica, !topology.workers.indices.contains(r) { throw WireError("job \(job.id): no replica \(r)") }
            jobs[job.id] = job
            partial[job.id] = JobOutcome(jobID: job.id)
            waitingJobs.append(job)
        }
    }

    func load(_ worker: Int) -> Int { inFlight.values.reduce(0) { $0 + ($1.worker == worker ? 1 : 0) } }

    /// Tasks to send now, in order, as worker capacity allows.
    public mutating func dispatch() -> [(worker: Int, task: ForwardTask)] {
        var out: [(Int, ForwardTask)] = []
        var loads = Dictionary(uniqueKeysWithValues: topology.workers.flatMap { $0 }.map { ($0, load($0)) })
        // Hops of jobs already under way first: they finish work and free memory.
        var remaining: [Hop] = []
        for hop in readyHops {
            let worker = topology.workers[hop.replica][hop.shard]
            if loads[worker, default: 0] < maxInFlight {
                loads[worker, default: 0] += 1
                inFlight[hop.task.taskID] = (hop, worker)
                out.append((worker, hop.task))
            } else { remaining.append(hop) }
        }
        readyHops = remaining
        var stillWaiting: [PipelineJob] = []
        for job in waitingJobs {
            let shard = topology.shardIndex(of: job.firstBlock)!
            let replicas = job.replica.map { [$0] } ?? Array(topology.workers.indices)
            let best = replicas.min { loads[topology.workers[$0][shard], default: 0] < loads[topology.workers[$1][shard], default: 0] }!
            let worker = topology.workers[best][shard]
            guard loads[worker, default: 0] < maxInFlight else { stillWaiting.append(job); continue }
            loads[worker, default: 0] += 1
            let hop = makeHop(job, replica: best, shard: shard, blocks: job.firstBlock..<topology.shards[shard].upperBound, input: job.input)
            inFlight[hop.task.taskID] = (hop, worker)
            out.append((worker, hop.task))
        }
        waitingJobs = stillWaiting
        return out
    }

    private mutating func makeHop(_ job: PipelineJob, replica: Int, shard: Int, blocks: Range<Int>, input: ForwardTask.Input) -> Hop {
        let last = shard == topology.shards.count - 1
        let task = ForwardTask(taskID: nextTaskID, blocks: blocks, sequenceLength: job.sequenceLength,
                               removedAttention: job.removedAttention, input: input, cacheInputs: job.cacheInputs,
                               collectNorms: job.collectNorms, lossTargets: last ? job.lossTargets : nil,
                               returnHidden: !last || (job.wantsOutput && job.lossTargets == nil))
        nextTaskID += 1
        return Hop(jobID: job.id, replica: replica, shard: shard, task: task)
    }

    /// A worker's result. Returns the jobs this completed.
    public mutating func handle(worker: Int, result: ForwardResult) throws -> [JobOutcome] {
        guard let (hop, assigned) = inFlight[result.taskID] else {
            throw WireError("result for unknown task \(result.taskID) from worker \(worker)")
        }
        guard assigned == worker else { throw WireError("worker \(worker) answered task \(result.taskID) sent to worker \(assigned)") }
        inFlight[result.taskID] = nil
        guard let job = jobs[hop.jobID], var outcome = partial[hop.jobID] else {
            throw WireError("result for task \(result.taskID) of a job that no longer exists")
        }
        if job.collectNorms {
            guard result.norms.count == hop.task.blocks.count else {
                throw WireError("worker \(worker) returned norms of \(result.norms.count) blocks for \(hop.task.blocks.count)")
            }
            for (b, perSample) in zip(hop.task.blocks, result.norms) { outcome.norms[b] = perSample }
        }
        if hop.shard + 1 < topology.shards.count {
            guard let hidden = result.hidden else { throw WireError("worker \(worker) returned no hidden states for task \(result.taskID)") }
            partial[hop.jobID] = outcome
            readyHops.append(makeHop(job, replica: hop.replica, shard: hop.shard + 1,
                                     blocks: topology.shards[hop.shard + 1], input: .hidden(hidden)))
            return []
        }
        if job.lossTargets != nil {
            guard !result.losses.isEmpty else { throw WireError("worker \(worker) returned no loss for task \(result.taskID)") }
            outcome.losses = result.losses
        } else {
            outcome.hidden = result.hidden
        }
        partial[hop.jobID] = nil
        jobs[hop.jobID] = nil
        return [outcome]
    }

    /// What a worker is busy with, for error messages when it is lost.
    public func describeWork(of worker: Int) -> String {
        let mine = inFlight.values.filter { $0.worker == worker }.map { $0.hop }
        guard !mine.isEmpty else { return "idle" }
        return mine.map { "job \($0.jobID) blocks \($0.task.blocks.lowerBound)..<\($0.task.blocks.upperBound)" }.joined(separator: ", ")
    }
}
