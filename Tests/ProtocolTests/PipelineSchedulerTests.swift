import Engine
import XCTest
@testable import Protocol

/// The scheduler without sockets: jobs hop shard to shard, capacity is respected, results in
/// any order give the same outcomes, and protocol violations are errors.
final class PipelineSchedulerTests: XCTestCase {
    let topology = PipelineTopology(shards: [0..<2, 2..<5, 5..<6], workers: [[0, 1, 2], [3, 4, 5]])

    /// Simulates workers: a hop's output is its input plus the block count, so outcomes are checkable.
    func simulate(_ scheduler: inout PipelineScheduler, shuffleSeed: UInt64, maxSteps: Int = 10_000) throws -> [Int: JobOutcome] {
        var outcomes: [Int: JobOutcome] = [:]
        var queue: [(Int, ForwardTask)] = []
        var seed = shuffleSeed
        var steps = 0
        while !scheduler.isIdle {
            let sent = scheduler.dispatch()
            var perWorker: [Int: Int] = [:]
            for (w, _) in queue { perWorker[w, default: 0] += 1 }
            for (w, _) in sent { perWorker[w, default: 0] += 1 }
            XCTAssertTrue(perWorker.values.allSatisfy { $0 <= scheduler.maxInFlight })
            queue += sent
            guard !queue.isEmpty else { XCTFail("scheduler stalled"); break }
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let (worker, task) = queue.remove(at: Int(seed >> 33) % queue.count)
            XCTAssertEqual(topology.workers.flatMap { $0 }.firstIndex(of: worker).map { topology.shards[$0 % 3] }.map { $0.upperBound }, task.blocks.upperBound)
            let base: Float
            switch task.input {
            case .ids(let ids): base = Float(ids[0])
            case .hidden(let h): base = h.data[0]
            case .cached: base = 1000
            }
            let out = Tensor(shape: [1, 1], data: [base + Float(task.blocks.count)])
            let norms = task.collectNorms ? task.blocks.map { [[Double($0)]] } : []
            let result = ForwardResult(taskID: task.taskID, hidden: task.lossTargets == nil && task.returnHidden ? out : nil, norms: norms,
                                       losses: task.lossTargets != nil ? [SequenceLoss(sum: Double(out.data[0]), count: 1)] : [])
            for o in try scheduler.handle(worker: worker, result: result) { outcomes[o.jobID] = o }
            steps += 1
            if steps > maxSteps { XCTFail("too many steps"); break }
        }
        return outcomes
    }

    func jobs() -> [PipelineJob] {
        (0..<6).map { PipelineJob(id: $0, firstBlock: 0, input: .ids([Int32($0 * 100), 0]), sequenceLength: 1, removedAttention: [],
                                  collectNorms: true, lossTargets: [0]) }
        + (0..<6).map { PipelineJob(id: 10 + $0, firstBlock: $0, input: .cached, sequenceLength: 1, removedAttention: [$0], lossTargets: [0]) }
        + [PipelineJob(id: 20, replica: 1, firstBlock: 3, input: .cached, sequenceLength: 1, removedAttention: [], cacheInputs: true, wantsOutput: false)]
    }

    func testOutcomesDoNotDependOnReplyOrder() throws {
        var reference: [Int: JobOutcome]? = nil
        for seed in [1, 2, 3, 99] as [UInt64] {
            var s = PipelineScheduler(topology: topology)
            try s.submit(jobs())
            let outcomes = try simulate(&s, shuffleSeed: seed)
            XCTAssertEqual(outcomes.count, 13)
            XCTAssertEqual(outcomes[2]!.losses, [SequenceLoss(sum: 206, count: 1)], "ids 200 + 6 blocks")
            XCTAssertEqual(outcomes[13]!.losses, [SequenceLoss(sum: 1003, count: 1)], "cached at block 3: 3 blocks to the end")
            XCTAssertEqual(outcomes[2]!.norms.keys.sorted(), Array(0..<6))
            XCTAssertNil(outcomes[20]!.hidden, "a cache refresh does not ship its output back")
            if let reference { XCTAssertEqual(outcomes, reference) } else { reference = outcomes }
        }
    }

    func testPinnedJobsStayOnTheirReplica() throws {
        var s = PipelineScheduler(topology: topology)
        try s.submit([PipelineJob(id: 1, replica: 1, firstBlock: 0, input: .ids([1]), sequenceLength: 1, removedAttention: [])])
        let sent = s.dispatch()
        XCTAssertEqual(sent.map { $0.worker }, [3])
    }

    func testProtocolViolationsAreErrors() throws {
        var s = PipelineScheduler(topology: topology)
        try s.submit([PipelineJob(id: 1, firstBlock: 0, input: .ids([1]), sequenceLength: 1, removedAttention: [])])
        let (worker, task) = s.dispatch()[0]
        XCTAssertThrowsError(try s.handle(worker: worker + 1, result: ForwardResult(taskID: task.taskID, hidden: nil)))
        XCTAssertThrowsError(try s.handle(worker: worker, result: ForwardResult(taskID: 999, hidden: nil)))
        XCTAssertThrowsError(try s.handle(worker: worker, result: ForwardResult(taskID: task.taskID, hidden: nil)), "a middle hop must return hidden states")
        XCTAssertThrowsError(try s.submit([PipelineJob(id: 2, firstBlock: 3, input: .ids([1]), sequenceLength: 1, removedAttention: [])]))
        XCTAssertThrowsError(try s.submit([PipelineJob(id: 3, firstBlock: 9, input: .cached, sequenceLength: 1, removedAttention: [])]))
        XCTAssertEqual(s.describeWork(of: 5), "idle")
    }

    func testShardPlanGivesTheHeadShardFewerBlocks() throws {
        let smol = ModelConfig(modelType: "llama", hiddenSize: 576, intermediateSize: 1536, numHiddenLayers: 30, numAttentionHeads: 9,
                               numKeyValueHeads: 3, vocabSize: 49152, rmsNormEps: 1e-5, ropeTheta: 1e5, maxPositionEmbeddings: 8192,
                               tieWordEmbeddings: true, attentionBias: false)
        for n in 1...6 {
            let plan = try ShardPlan.plan(config: smol, shards: n)
            XCTAssertEqual(plan.count, n)
            XCTAssertEqual(plan.first?.lowerBound, 0); XCTAssertEqual(plan.last?.upperBound, 30)
            for (a, b) in zip(plan, plan.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound); XCTAssertFalse(a.isEmpty) }
            if n > 1 { XCTAssertLessThan(plan.last!.count, plan.first!.count, "\(plan)") }
        }
        XCTAssertThrowsError(try ShardPlan.plan(config: smol, shards: 31))
    }
}
