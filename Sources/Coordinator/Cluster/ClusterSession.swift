import Engine
import Foundation
import Protocol

/// The coordinator's side of a run with workers: gathers them, hands out shards, drives
/// pipeline jobs and stops everything at the end. Any worker lost or failing stops the run
/// with a message naming the worker and what it was doing — never a hang.
final class ClusterSession {
    struct Failure: Error, CustomStringConvertible { let description: String }

    let endpoint: ClusterEndpoint
    private var local: LocalWorkers?
    private(set) var workerCount = 0

    /// Binds `address`, optionally spawns local workers, and waits for `expected` workers.
    init(address: String, security: ClusterEndpoint.Security?, expected: Int, spawn: (threads: Int, modelPath: String?)?,
         waitSeconds: Double?) throws {
        endpoint = try ClusterEndpoint(bind: address, security: security)
        if let spawn {
            let connectTo = endpoint.endpoint.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
            let logs = (AssetCache.directory.path as NSString).appendingPathComponent("logs")
            try? FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            local = try LocalWorkers(count: expected, endpoint: connectTo, threadsEach: spawn.threads,
                                     modelPath: spawn.modelPath, logDirectory: logs)
            note("started \(expected) local workers (\(spawn.threads) thread\(spawn.threads == 1 ? "" : "s") each; logs in \(logs))")
        } else {
            note("listening on \(endpoint.endpoint); waiting for \(expected) workers...")
        }
        let started = Date()
        while endpoint.workers.count < expected {
            for event in try endpoint.poll(timeoutMs: 200) {
                switch event {
                case .joined(let w): note("\(w.label) joined (\(w.hello.threads) threads\(w.hello.modelPath.map { ", model at \($0)" } ?? ""))")
                case .refused(let peer, let reason): note("refused \(peer): \(reason)")
                case .lost(let worker, let reason): throw Failure(description: "\(endpoint.workers[worker].label) was lost while joining: \(reason)")
                case .message: break
                }
            }
            try checkLocalProcesses()
            if let waitSeconds, Date().timeIntervalSince(started) > waitSeconds {
                throw Failure(description: "only \(endpoint.workers.count) of \(expected) workers joined within \(Int(waitSeconds)) s")
            }
        }
        workerCount = expected
    }

    private func checkLocalProcesses() throws {
        if let (index, status) = local?.exited() {
            throw Failure(description: "local worker \(index) exited with status \(status) (see its log in \((AssetCache.directory.path as NSString).appendingPathComponent("logs")))")
        }
    }

    /// Waits for one reply from each of `workers`, handing each to `accept`.
    private func collect(from workers: Set<Int>, doing what: String, _ accept: (Int, Message) throws -> Bool) throws {
        var waiting = workers
        while !waiting.isEmpty {
            for event in try endpoint.poll(timeoutMs: 200) {
                switch event {
                case .message(let w, .failure(_, let message)):
                    throw Failure(description: "\(endpoint.workers[w].label) failed while \(what): \(message)")
                case .message(let w, let message):
                    if waiting.contains(w), try accept(w, message) { waiting.remove(w) }
                case .lost(let w, let reason):
                    throw Failure(description: "\(endpoint.workers[w].label) was lost while \(what): \(reason)")
                case .refused(let peer, let reason): note("refused \(peer): \(reason)")
                case .joined(let w): endpoint.broadcast(.heartbeat); note("ignoring late \(w.label)")
                }
            }
            try checkLocalProcesses()
        }
    }

    func loadShards(topology: PipelineTopology, input: OpenedModel) throws {
        let config = input.config, L = config.numHiddenLayers
        let bar = Progress("loading shards", total: workerCount)
        var ready = 0
        for (r, replica) in topology.workers.enumerated() {
            for (s, worker) in replica.enumerated() {
                let blocks = topology.shards[s]
                let info = endpoint.workers[worker]
                let local = info.hello.modelPath != nil
                let embedding = blocks.lowerBound == 0, head = blocks.upperBound == L
                var names: [String] = []
                if !local {
                    names = input.tensors.tensorNames.filter { name in
                        if name == TensorNames.embedding { return embedding || (head && config.tieWordEmbeddings) }
                        if name == TensorNames.finalNorm || name == TensorNames.lmHead { return head }
                        guard let b = Self.blockIndex(of: name) else { return false }
                        return blocks.contains(b)
                    }
                }
                try endpoint.send(.loadShard(LoadShard(shardID: r * topology.shards.count + s, blocks: blocks, embedding: embedding,
                                                       head: head, config: config, fromLocalFile: local,
                                                       streamedTensorCount: names.count)), to: worker)
                // Stream a tensor per message so no frame grows past one weight matrix.
                // (send keeps heartbeats and liveness going while a worker's queue is full)
                for name in names {
                    try endpoint.send(.tensors(TensorBundle([(name, try input.tensors.load(name))])), to: worker)
                }
            }
        }
        try collect(from: Set(0..<workerCount), doing: "loading its shard") { w, message in
            guard case .shardReady = message else { return false }
            ready += 1
            bar.update(ready)
            return true
        }
    }

    func setWidth(_ kept: [[Int]], topology: PipelineTopology, roundTo: String?) throws {
        for replica in topology.workers {
            for (s, worker) in replica.enumerated() {
                try endpoint.send(.setWidth(SetWidth(keptNeurons: Array(kept[topology.shards[s]]), roundTo: roundTo)), to: worker)
            }
        }
        try collect(from: Set(0..<workerCount), doing: "narrowing its FFNs") { _, message in
            if case .widthSet = message { return true }
            return false
        }
    }

    /// Sends tasks as the scheduler allows and feeds results back until it is idle.
    func drive(_ scheduler: inout PipelineScheduler, onOutcome: (JobOutcome) -> Void) throws {
        while !scheduler.isIdle {
            for (worker, task) in scheduler.dispatch() { try endpoint.send(.forward(task), to: worker) }
            for event in try endpoint.poll(timeoutMs: 100) {
                switch event {
                case .message(let w, .forwardResult(let result)):
                    for outcome in try scheduler.handle(worker: w, result: result) { onOutcome(outcome) }
                case .message(let w, .failure(_, let message)):
                    throw Failure(description: "\(endpoint.workers[w].label) failed (\(scheduler.describeWork(of: w))): \(message)")
                case .message(let w, let other):
                    throw Failure(description: "\(endpoint.workers[w].label) sent an unexpected \(other)")
                case .lost(let w, let reason):
                    throw Failure(description: "\(endpoint.workers[w].label) was lost: \(reason); it was running \(scheduler.describeWork(of: w))")
                case .refused(let peer, let reason): note("refused \(peer): \(reason)")
                case .joined(let w): note("ignoring late \(w.label)")
                }
            }
            try checkLocalProcesses()
        }
    }

    /// The current (pruned) weights of every block, from replica 0, by block index.
    func gatherBlocks(topology: PipelineTopology, removed: [Int]) throws -> [[(name: String, tensor: Tensor)]] {
        var byBlock: [Int: [(name: String, tensor: Tensor)]] = [:]
        for worker in topology.workers[0] { try endpoint.send(.gatherWeights(removedAttention: removed), to: worker) }
        try collect(from: Set(topology.workers[0]), doing: "sending its pruned weights") { _, message in
            guard case .tensors(let bundle) = message else { return false }
            for (name, tensor) in bundle.tensors {
                guard let b = Self.blockIndex(of: name) else { throw Failure(description: "gathered an unexpected tensor \(name)") }
                byBlock[b, default: []].append((name, tensor))
            }
            return true
        }
        return byBlock.keys.sorted().map { byBlock[$0]! }
    }

    /// Each worker's parting figures (peak memory, tasks, compute time), after `finish`.
    private(set) var workerStats: [Int: WorkerStats] = [:]

    /// Tells every worker the run is over, collects their figures (briefly), stops local ones.
    func finish() {
        endpoint.broadcast(.bye("run complete"))
        let deadline = Date().addingTimeInterval(5)
        while workerStats.count < workerCount && Date() < deadline {
            for case .message(let w, .workerStats(let stats)) in (try? endpoint.poll(timeoutMs: 100)) ?? [] { workerStats[w] = stats }
        }
        local?.stop()
    }

    deinit {
        // An aborted run: tell remote workers at once rather than leave them to time out.
        endpoint.broadcast(.bye("run aborted"))
        local?.stop(grace: 1)
    }

    static func blockIndex(of name: String) -> Int? {
        guard name.hasPrefix("model.layers.") else { return nil }
        return Int(name.dropFirst("model.layers.".count).prefix { $0.isNumber })
    }
}
