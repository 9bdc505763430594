/// A Llama-family decoder (llama, mistral, qwen2), or a contiguous shard of its blocks.
/// A worker holding blocks a..<b loads only those, plus the embedding if a == 0 and the
/// final norm and LM head if it owns the end.
public struct LlamaModel: Sendable {
    public let config: ModelConfig
    /// Which blocks `blocks` holds: blocks[i - blockRange.lowerBound] is block i.
    public let blockRange: Range<Int>
    public var blocks: [BlockWeights]
    /// [vocab, hidden], when loaded.
    public let embedding: [Float]?
    public let finalNorm: [Float]?
    /// [vocab, hidden]; shares storage with `embedding` when the head is tied.
    public let lmHead: [Float]?
    public private(set) var rope: RoPE

    public static let supportedFamilies = ["llama", "mistral", "qwen2"]

    public init(config: ModelConfig, blockRange: Range<Int>, blocks: [BlockWeights],
                embedding: [Float]?, finalNorm: [Float]?, lmHead: [Float]?) {
        precondition(blocks.count == blockRange.count)
        self.config = config
        self.blockRange = blockRange
        self.blocks = blocks
        self.embedding = embedding
        self.finalNorm = finalNorm
        self.lmHead = lmHead
        self.rope = RoPE(config: config)
    }

    /// Loads blocks `range` (default: all) and, as asked, the embedding and the head.
    public static func load(config: ModelConfig, source: any TensorSource, blocks range: Range<Int>? = nil,
                            embedding wantEmbedding: Bool = true, head wantHead: Bool = true) throws -> LlamaModel {
        guard supportedFamilies.contains(config.modelType) else {
            throw EngineError.unsupported("model_type '\(config.modelType)' (supported: \(supportedFamilies.joined(separator: ", ")))")
        }
        let all = 0..<config.numHiddenLayers
        let range = range ?? all
        guard range.lowerBound >= 0, range.upperBound <= config.numHiddenLayers else {
            throw EngineError.invalidArgument("block range \(range) is outside the model's \(config.numHiddenLayers) blocks")
        }
        let d = config.hiddenSize, vocab = config.vocabSize
        func matrix(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard let actual = source.shape(of: name) else { throw EngineError.mismatch("tensor \(name) is missing from the model") }
            guard actual == shape else { throw EngineError.mismatch("tensor \(name) has shape \(actual), the config implies \(shape)") }
            return try source.load(name).data
        }
        let needEmbedding = wantEmbedding || (wantHead && config.tieWordEmbeddings)
        let embedding = needEmbedding ? try matrix(TensorNames.embedding, [vocab, d]) : nil
        var norm: [Float]? = nil, head: [Float]? = nil
        if wantHead {
            norm = try matrix(TensorNames.finalNorm, [d])
            head = config.tieWordEmbeddings ? embedding : try matrix(TensorNames.lmHead, [vocab, d])
        }
        let blocks = try range.map { try BlockWeights.load(index: $0, config: config, source: source) }
        return LlamaModel(config: config, blockRange: range, blocks: blocks,
                          embedding: wantEmbedding ? embedding : nil, finalNorm: norm, lmHead: head)
    }

    /// Makes RoPE tables cover `length` positions (called by the forward pass).
    mutating func preparePositions(_ length: Int) { rope.ensure(positions: length) }

    public func block(_ i: Int) -> BlockWeights { blocks[i - blockRange.lowerBound] }

    /// Hidden states [ids.count, hidden] for token ids; an id outside the vocabulary is an error.
    public func embed(_ ids: [Int32]) throws -> Tensor {
        guard let embedding else { throw EngineError.invalidArgument("this model shard has no embedding") }
        let d = config.hiddenSize
        var out = Tensor(zeros: [ids.count, d])
        try embedding.withUnsafeBufferPointer { e in
            try out.data.withUnsafeMutableBufferPointer { o in
                for (r, id) in ids.enumerated() {
                    guard id >= 0, Int(id) < config.vocabSize else {
                        throw EngineError.invalidArgument("token id \(id) at position \(r) is outside the vocabulary (size \(config.vocabSize))")
                    }
                    (o.baseAddress! + r * d).update(from: e.baseAddress! + Int(id) * d, count: d)
                }
            }
        }
        return out
    }
}
