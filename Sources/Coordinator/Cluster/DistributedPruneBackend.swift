import Engine
import Foundation
import Protocol

/// Prune with workers over ZeroMQ: the blocks are sharded over the workers of each replica;
/// every forward pass is a pipeline job hopping shard to shard. Decisions are taken here,
/// from results reduced in a fixed order, so they are bit-identical to the one-host run.
struct DistributedPruneBackend: PruneBackend {
    let input: OpenedModel
    let cluster: ClusterSession
    let topology: PipelineTopology
    var scheduler: PipelineScheduler
    /// Removals of the current model (empty while dense).
    var removed: [Int] = []
    var keptNeurons: [[Int]] = []
    private var nextJobID = 0
    private var candidatesEvaluated = 0

    init(input: OpenedModel, cluster: ClusterSession, replicas: Int, calibrationSamples: Int) throws {
        self.input = input
        self.cluster = cluster
        let count = cluster.workerCount
        guard count % replicas == 0 else {
            throw UsageError("\(count) workers cannot form \(replicas) equal replicas")
        }
        let shardsPerReplica = count / replicas
        let shards = try ShardPlan.plan(config: input.config, shards: shardsPerReplica, calibrationSamples: calibrationSamples)
        topology = PipelineTopology(shards: shards, workers: (0..<replicas).map { r in (0..<shardsPerReplica).map { r * shardsPerReplica + $0 } })
        scheduler = PipelineScheduler(topology: topology)
        note("shards: " + shards.map { "blocks \($0.lowerBound)-\($0.upperBound - 1)" }.joined(separator: ", ")
             + (replicas > 1 ? " (x\(replicas) replicas)" : ""))
        try cluster.loadShards(topology: topology, input: input)
    }

    private mutating func jobID() -> Int { nextJobID += 1; return nextJobID }

    /// Runs jobs to completion, returning outcomes by job id.
    private mutating func run(_ jobs: [PipelineJob], progress: (Int) -> Void = { _ in }) throws -> [Int: JobOutcome] {
        try scheduler.submit(jobs)
        var outcomes: [Int: JobOutcome] = [:]
        try cluster.drive(&scheduler) { outcome in
            outcomes[outcome.jobID] = outcome
            progress(outcomes.count)
        }
        return outcomes
    }

    mutating func evaluate(_ sets: [EvalSet], label: String) throws -> [String: Double] {
        let removed = self.removed
        return try evaluateSets(sets, label: label) { set, progress in
            let jobs = set.windows.map { w in
                PipelineJob(id: jobID(), firstBlock: 0, input: .ids(Array(w)), sequenceLength: w.count,
                            removedAttention: removed, lossTargets: Array(w))
            }
            let outcomes = try run(jobs, progress: progress)
            // Reduce in window order, as the one-host evaluation does.
            var result = PerplexityResult(windows: 0, tokensScored: 0, sumNLL: 0)
            for job in jobs { for loss in outcomes[job.id]!.losses { result.sumNLL += loss.sum; result.tokensScored += loss.count; result.windows += 1 } }
            return result.perplexity
        }
    }

    mutating func neuronImportance(calibration: [Int32], settings: PruningSettings) throws -> NeuronImportance {
        let T = settings.sequenceLength, C = settings.calibrationSamples
        let bar = Progress("stage 1", total: C)
        let jobs = (0..<C).map { c in
            PipelineJob(id: jobID(), firstBlock: 0, input: .ids(Array(calibration[(c * T)..<((c + 1) * T)])), sequenceLength: T,
                        removedAttention: [], collectNorms: true, wantsOutput: false)
        }
        let outcomes = try run(jobs) { bar.update($0) }
        var importance = NeuronImportance(blocks: 0..<input.config.numHiddenLayers, width: input.config.intermediateSize)
        for job in jobs {   // sample order, as one host adds them
            let norms = outcomes[job.id]!.norms
            for b in 0..<input.config.numHiddenLayers {
                guard let perSample = norms[b], perSample.count == 1 else { throw EngineError.mismatch("stage 1: missing norms of block \(b)") }
                importance.add(block: b, norms: perSample[0])
            }
            importance.finishSample()
        }
        return importance
    }

    mutating func prune(sparsity: Double, importance: NeuronImportance, calibration: [Int32],
                        settings: PruningSettings) throws -> SparsityResult {
        let config = input.config
        let plan = try Balancing.plan(config: config, sparsity: sparsity, alpha: settings.alpha, attentionOverride: settings.attentionOverride)
        keptNeurons = (0..<config.numHiddenLayers).map { NeuronImportance.keptNeurons(scores: importance.scores(block: $0), keep: plan.ffnWidth) }
        try cluster.setWidth(keptNeurons, topology: topology, roundTo: nil)
        removed = []
        let started = Date()
        let T = settings.sequenceLength
        let samples = Array(calibration[0..<(settings.stage2Samples * T)])
        let cached = settings.usePrefixCache
        if cached {
            // Fill every replica's cache of block inputs under no removals.
            _ = try run(topology.workers.indices.map { r in
                PipelineJob(id: jobID(), replica: r, firstBlock: 0, input: .ids(samples), sequenceLength: T, removedAttention: [],
                            cacheInputs: true, wantsOutput: false)
            })
        }
        var search = AttentionRemovalSearch(blockCount: config.numHiddenLayers, removals: plan.attentionRemovals,
                                            absent: Set(config.removedAttentionBlocks))
        let bar = Progress(String(format: "stage 2 (s=%.3g)", sparsity), total: max(1, StageTwo.candidateCount(plan: plan, config: config)))
        var done = 0
        while !search.isFinished {
            let iteration = search.history.count + 1
            let candidates = search.candidates
            // With the cache a candidate enters at its own block; without, it is a full pass.
            let jobs = candidates.map { block in
                PipelineJob(id: jobID(), firstBlock: cached ? block : 0, input: cached ? .cached : .ids(samples), sequenceLength: T,
                            removedAttention: (removed + [block]).sorted(), lossTargets: samples)
            }
            let workers = cluster.workerCount, doneBefore = done
            let outcomes = try run(jobs) { n in
                bar.update(doneBefore + n, detail: "iteration \(iteration)/\(plan.attentionRemovals), \(n)/\(candidates.count) candidates, \(workers) workers")
            }
            done += candidates.count
            candidatesEvaluated += candidates.count
            var winner: Int? = nil
            for (block, job) in zip(candidates, jobs) {
                winner = try search.record(block: block, perplexity: DepthPruningRunner.perplexity(outcomes[job.id]!.losses)) ?? winner
            }
            guard let w = winner else { throw EngineError.mismatch("stage 2 iteration \(iteration) ended without a decision") }
            removed.append(w)
            if cached && !search.isFinished {
                // Inputs of blocks after the removed attention changed: refresh them on every replica.
                let removedNow = removed.sorted()
                _ = try run(topology.workers.indices.map { r in
                    PipelineJob(id: jobID(), replica: r, firstBlock: w, input: .cached, sequenceLength: T,
                                removedAttention: removedNow, cacheInputs: true, wantsOutput: false)
                })
            }
        }
        if plan.attentionRemovals == 0 { bar.update(1) }
        return SparsityResult(plan: plan, keptNeurons: keptNeurons, search: search, stage2Seconds: Date().timeIntervalSince(started))
    }

    mutating func write(_ result: SparsityResult, to directory: String, dtype: StorageType) throws {
        let config = input.config
        var blocks = try cluster.gatherBlocks(topology: topology, removed: removed)
        guard blocks.count == config.numHiddenLayers else { throw EngineError.mismatch("gathered \(blocks.count) blocks of \(config.numHiddenLayers)") }
        var pruned = config
        pruned.intermediateSize = result.plan.ffnWidth
        pruned.removedAttentionBlocks = Array(Set(config.removedAttentionBlocks).union(removed)).sorted()
        let source = input.tensors
        try PrunedModelWriter.write(config: pruned, embedding: source.load(TensorNames.embedding), blocks: blocks,
                                    finalNorm: source.load(TensorNames.finalNorm),
                                    lmHead: config.tieWordEmbeddings ? nil : source.load(TensorNames.lmHead),
                                    to: directory, dtype: dtype, input: input)
        blocks = []
        // Workers evaluate with weights rounded as written, so the report matches the files.
        if dtype != .f32 { try cluster.setWidth(keptNeurons, topology: topology, roundTo: dtype.rawValue) }
    }

    mutating func finish() { cluster.finish() }

    func clusterReport() -> [String: Any]? {
        let endpoint = cluster.endpoint
        return [
            "mode": "distributed", "endpoint": endpoint.endpoint, "replicas": topology.workers.count,
            "shards": topology.shards.map { [$0.lowerBound, $0.upperBound] },
            "workers": endpoint.workers.map { w -> [String: Any] in
                let slot = topology.workers.enumerated().compactMap { r, row in row.firstIndex(of: w.index).map { (r, $0) } }.first
                return ["index": w.index, "name": w.hello.name, "host": w.hello.hostname, "address": w.address ?? NSNull(),
                        "threads": w.hello.threads, "local_model": w.hello.modelPath != nil,
                        "replica": slot?.0 ?? NSNull(), "blocks": slot.map { [topology.shards[$0.1].lowerBound, topology.shards[$0.1].upperBound] } ?? NSNull(),
                        "peak_rss_bytes": cluster.workerStats[w.index]?.peakRSSBytes ?? NSNull(),
                        "tasks": cluster.workerStats[w.index]?.tasks ?? NSNull(),
                        "compute_seconds": cluster.workerStats[w.index]?.computeSeconds ?? NSNull()]
            },
            "bytes_sent": endpoint.bytesSent, "bytes_received": endpoint.bytesReceived,
            "forward_tasks": scheduler.tasksIssued, "stage2_candidates": candidatesEvaluated,
        ]
    }
}
