import Engine
import Foundation
import Protocol

/// The worker's compute state: its shard of the model (dense, and narrowed for the current
/// sparsity), the stage-2 cache of block inputs, and the handling of every compute message.
/// Runs on the compute thread only.
final class ShardCompute {
    let localModelPath: String?
    private var shard: LoadShard?
    private var dense: LlamaModel?
    private var current: LlamaModel?
    private var streamed: [String: Tensor] = [:]
    private var shardStarted = Date()
    /// Input hidden states of blocks, from the last `cacheInputs` pass through them.
    private var cachedInputs: [Int: Tensor] = [:]
    /// Forward tasks served and the time spent computing them.
    private(set) var tasks = 0
    private(set) var computeSeconds = 0.0

    init(localModelPath: String?) { self.localModelPath = localModelPath }

    /// Handles one message from the coordinator; returns the reply, if any.
    func handle(_ message: Message) -> Message? {
        do {
            switch message {
            case .loadShard(let request): return try load(request)
            case .tensors(let bundle): return try receive(bundle)
            case .setWidth(let request): try setWidth(request); return .widthSet
            case .forward(let task):
                let result = try forward(task)
                tasks += 1
                computeSeconds += result.seconds
                return .forwardResult(result)
            case .gatherWeights(let removed): return .tensors(try gather(removed: removed))
            case .workerStats(let stats):
                // Queued behind every task, so the counts are final.
                return .workerStats(WorkerStats(peakRSSBytes: stats.peakRSSBytes, tasks: tasks, computeSeconds: computeSeconds))
            default: return .failure(taskID: nil, message: "unexpected message for the compute thread: \(message)")
            }
        } catch {
            var id: UInt64? = nil
            if case .forward(let task) = message { id = task.taskID }
            return .failure(taskID: id, message: "\(error)")
        }
    }

    private func load(_ request: LoadShard) throws -> Message? {
        shard = request
        shardStarted = Date()
        dense = nil; current = nil; cachedInputs = [:]; streamed = [:]
        if request.fromLocalFile {
            guard let path = localModelPath else {
                throw EngineError.invalidArgument("the coordinator asked for the local model file, but this worker has no --model")
            }
            let opened = try ModelFiles.open(path)
            guard opened.config == request.config else {
                throw EngineError.mismatch("the model at \(path) on this worker differs from the coordinator's (config \(opened.config) vs \(request.config))")
            }
            return try finishLoad(source: opened.tensors)
        }
        return request.streamedTensorCount == 0 ? try finishLoad(source: nil) : nil
    }

    private func receive(_ bundle: TensorBundle) throws -> Message? {
        guard let request = shard, !request.fromLocalFile else {
            throw EngineError.invalidArgument("received tensors without a streamed shard to load")
        }
        for (name, tensor) in bundle.tensors { streamed[name] = tensor }
        return streamed.count >= request.streamedTensorCount ? try finishLoad(source: nil) : nil
    }

    private func finishLoad(source: (any TensorSource)?) throws -> Message {
        guard let request = shard else { throw EngineError.invalidArgument("no shard requested") }
        let tensors = source ?? StreamedTensors(tensors: streamed)
        dense = try LlamaModel.load(config: request.config, source: tensors, blocks: request.blocks,
                                    embedding: request.embedding, head: request.head)
        current = dense
        streamed = [:]
        return .shardReady(shardID: request.shardID, seconds: Date().timeIntervalSince(shardStarted))
    }

    private func setWidth(_ request: SetWidth) throws {
        guard let dense else { throw EngineError.invalidArgument("no shard loaded") }
        cachedInputs = [:]
        guard !request.keptNeurons.isEmpty else { current = dense; return }
        guard request.keptNeurons.count == dense.blockRange.count else {
            throw EngineError.invalidArgument("kept neurons for \(request.keptNeurons.count) blocks, this shard holds \(dense.blockRange.count)")
        }
        var narrow = dense
        for (offset, neurons) in request.keptNeurons.enumerated() {
            guard neurons.allSatisfy({ $0 >= 0 && $0 < dense.blocks[offset].ffn.width }), neurons == neurons.sorted() else {
                throw EngineError.invalidArgument("kept neurons of block \(dense.blockRange.lowerBound + offset) are not ascending valid indices")
            }
            narrow.blocks[offset].ffn = dense.blocks[offset].ffn.keeping(neurons: neurons, hidden: dense.config.hiddenSize)
        }
        let width = request.keptNeurons[0].count
        narrow = narrow.withConfig { $0.intermediateSize = width }
        if let dtype = request.roundTo { narrow = try narrow.roundingWeights(to: dtype) }
        current = narrow
    }

    private func forward(_ task: ForwardTask) throws -> ForwardResult {
        guard var model = current else { throw EngineError.invalidArgument("no shard loaded") }
        let started = Date()
        guard task.blocks.lowerBound >= model.blockRange.lowerBound, task.blocks.upperBound <= model.blockRange.upperBound else {
            throw EngineError.invalidArgument("task \(task.taskID) asks for blocks \(task.blocks), this worker holds \(model.blockRange)")
        }
        var hidden: Tensor
        switch task.input {
        case .ids(let ids): hidden = try model.embed(ids)
        case .hidden(let h): hidden = h
        case .cached:
            guard let h = cachedInputs[task.blocks.lowerBound] else {
                throw EngineError.invalidArgument("no cached input for block \(task.blocks.lowerBound)")
            }
            hidden = h
        }
        let T = task.sequenceLength
        guard T > 0, hidden.shape.count == 2, hidden.shape[0] % T == 0 else {
            throw EngineError.invalidArgument("task \(task.taskID): hidden shape \(hidden.shape) is not whole \(T)-token sequences")
        }
        let samples = hidden.shape[0] / T
        var norms: [[[Double]]] = []
        let shape = hidden.shape
        var newCache: [Int: Tensor] = [:]
        try model.runBlocks(task.blocks, hidden: &hidden, sequenceLength: T, removedAttention: Set(task.removedAttention),
                            observeInput: task.cacheInputs ? { b, x in newCache[b] = Tensor(shape: shape, data: Array(x)) } : nil,
                            observeFFN: task.collectNorms ? { _, z, _, width in
                                norms.append((0..<samples).map { s in
                                    NeuronImportance.sampleNorms(UnsafeBufferPointer(rebasing: z[(s * T * width)..<((s + 1) * T * width)]), rows: T, width: width)
                                })
                            } : nil)
        cachedInputs.merge(newCache) { $1 }
        current = model   // keeps RoPE tables grown by this pass
        if let targets = task.lossTargets {
            let losses = try model.nextTokenLoss(hidden: hidden, ids: targets, sequenceLength: T)
            return ForwardResult(taskID: task.taskID, hidden: nil, norms: norms, losses: losses, seconds: Date().timeIntervalSince(started))
        }
        return ForwardResult(taskID: task.taskID, hidden: task.returnHidden ? hidden : nil, norms: norms,
                             seconds: Date().timeIntervalSince(started))
    }

    private func gather(removed: [Int]) throws -> TensorBundle {
        guard let model = current else { throw EngineError.invalidArgument("no shard loaded") }
        let pruned = try model.removingAttention(removed.filter { model.blockRange.contains($0) })
        return TensorBundle(model.blockRange.flatMap { PrunedModelWriter.tensors(of: pruned.block($0), index: $0, config: pruned.config) })
    }
}

/// Tensors received from the coordinator, as a TensorSource.
struct StreamedTensors: TensorSource {
    let tensors: [String: Tensor]
    var tensorNames: [String] { tensors.keys.sorted() }
    func shape(of name: String) -> [Int]? { tensors[name]?.shape }
    func load(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw EngineError.mismatch("tensor \(name) was not streamed to this worker") }
        return t
    }
}
