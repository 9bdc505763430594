import Foundation

/// Evaluates stage-2 candidates on one host. With the prefix cache, the input of every block
/// under the current removals is kept, so a candidate at block i runs only blocks i..<L:
/// removing attention i cannot change blocks before i. Without it, every candidate is a full
/// forward pass (the reference's cost); both give identical bits.
public struct DepthPruningRunner {
    public private(set) var model: LlamaModel
    public let samples: [Int32]
    public let sequenceLength: Int
    public let usePrefixCache: Bool
    public private(set) var removed: Set<Int>
    /// blockInputs[i] = hidden state entering block i (all samples stacked) under `removed`.
    private var blockInputs: [Tensor] = []

    public init(model: LlamaModel, samples: [Int32], sequenceLength: Int, usePrefixCache: Bool = true) throws {
        self.model = model
        self.samples = samples
        self.sequenceLength = sequenceLength
        self.usePrefixCache = usePrefixCache
        removed = Set(model.config.removedAttentionBlocks)
        if usePrefixCache { try refreshCache(from: 0) }
    }

    /// Perplexity of the model with `removed` and attention `block` also removed.
    public mutating func perplexity(removingAttention block: Int) throws -> Double {
        let L = model.config.numHiddenLayers
        var hidden: Tensor
        if usePrefixCache {
            hidden = blockInputs[block]
            try model.runBlocks(block..<L, hidden: &hidden, sequenceLength: sequenceLength, removedAttention: removed.union([block]))
        } else {
            hidden = try model.embed(samples)
            try model.runBlocks(0..<L, hidden: &hidden, sequenceLength: sequenceLength, removedAttention: removed.union([block]))
        }
        return try Self.perplexity(model.nextTokenLoss(hidden: hidden, ids: samples, sequenceLength: sequenceLength))
    }

    /// Makes a removal permanent; cached inputs downstream of it are recomputed.
    public mutating func remove(attention block: Int) throws {
        removed.insert(block)
        if usePrefixCache { try refreshCache(from: block) }
    }

    /// exp(token-weighted mean NLL) over the samples.
    public static func perplexity(_ losses: [SequenceLoss]) -> Double {
        let sum = losses.reduce(0.0) { $0 + $1.sum }, count = losses.reduce(0) { $0 + $1.count }
        return (sum / Double(count)).exp
    }

    private mutating func refreshCache(from start: Int) throws {
        let L = model.config.numHiddenLayers
        if blockInputs.isEmpty {
            blockInputs = [try model.embed(samples)]
        }
        blockInputs.removeSubrange((start + 1)...)
        var hidden = blockInputs[start]
        let shape = hidden.shape
        var inputs: [Tensor] = []
        try model.runBlocks(start..<L, hidden: &hidden, sequenceLength: sequenceLength, removedAttention: removed,
                            observeInput: { i, x in if i > start { inputs.append(Tensor(shape: shape, data: Array(x))) } })
        blockInputs += inputs + [hidden]
    }
}

extension Double {
    fileprivate var exp: Double { Foundation.exp(self) }
}
