/// RoPE frequency scaling as in HF `rope_scaling`.
public enum RopeScaling: Sendable, Equatable {
    /// positions divided by `factor`
    case linear(factor: Double)
    /// Llama-3.1 style wavelength-dependent scaling.
    case llama3(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositions: Int)
}

/// The architecture of a Llama-family decoder, in HF `config.json` terms.
public struct ModelConfig: Sendable, Equatable {
    public var modelType: String                 // "llama", "mistral", "qwen2"
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    public var headDim: Int
    public var vocabSize: Int
    public var rmsNormEps: Double
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling?
    public var maxPositionEmbeddings: Int
    public var tieWordEmbeddings: Bool
    /// q/k/v projections carry biases (qwen2).
    public var attentionBias: Bool
    /// Blocks whose attention has been removed by 2SSP (ascending). Written to config.json as
    /// `twossp_removed_attention_blocks`; those blocks have no q/k/v/o weights.
    public var removedAttentionBlocks: [Int]

    public init(modelType: String, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
                numAttentionHeads: Int, numKeyValueHeads: Int, headDim: Int? = nil, vocabSize: Int,
                rmsNormEps: Double, ropeTheta: Double, ropeScaling: RopeScaling? = nil,
                maxPositionEmbeddings: Int, tieWordEmbeddings: Bool, attentionBias: Bool,
                removedAttentionBlocks: [Int] = []) {
        self.modelType = modelType
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads
        self.headDim = headDim ?? hiddenSize / numAttentionHeads
        self.vocabSize = vocabSize
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias
        self.removedAttentionBlocks = removedAttentionBlocks
    }
}
