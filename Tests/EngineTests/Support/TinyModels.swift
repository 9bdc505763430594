import Foundation
@testable import Engine

/// Tensors held in memory under HF names: the simplest TensorSource, for tests.
struct MemoryTensorSource: TensorSource {
    var tensors: [String: Tensor]
    var tensorNames: [String] { tensors.keys.sorted() }
    func shape(of name: String) -> [Int]? { tensors[name]?.shape }
    func load(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw EngineError.mismatch("tensor \(name) is missing from the model") }
        return t
    }
}

/// Deterministic random tiny models of each family, for comparing the engine with NaiveLlama.
enum TinyModels {
    struct Generator {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
        mutating func tensor(_ shape: [Int], scale: Float) -> Tensor {
            Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in next() * scale })
        }
    }

    static func config(family: String, heads: Int = 4, kvHeads: Int = 2, tied: Bool = false,
                       layers: Int = 3, ropeScaling: RopeScaling? = nil) -> ModelConfig {
        ModelConfig(modelType: family, hiddenSize: 32, intermediateSize: 48, numHiddenLayers: layers,
                    numAttentionHeads: heads, numKeyValueHeads: kvHeads, headDim: 8, vocabSize: 61,
                    rmsNormEps: 1e-5, ropeTheta: family == "qwen2" ? 1_000_000 : 10_000, ropeScaling: ropeScaling,
                    maxPositionEmbeddings: 128, tieWordEmbeddings: tied, attentionBias: family == "qwen2")
    }

    static func weights(for c: ModelConfig, seed: UInt64 = 7) -> MemoryTensorSource {
        var g = Generator(state: seed)
        let d = c.hiddenSize, hd = c.headDim
        var t: [String: Tensor] = [:]
        t[TensorNames.embedding] = g.tensor([c.vocabSize, d], scale: 1)
        t[TensorNames.finalNorm] = Tensor(shape: [d], data: (0..<d).map { _ in 1 + 0.2 * g.next() })
        if !c.tieWordEmbeddings { t[TensorNames.lmHead] = g.tensor([c.vocabSize, d], scale: 0.3) }
        for i in 0..<c.numHiddenLayers {
            func put(_ suffix: String, _ shape: [Int], _ scale: Float) { t[TensorNames.block(i, suffix)] = g.tensor(shape, scale: scale) }
            put(TensorNames.q + ".weight", [c.numAttentionHeads * hd, d], 0.3)
            put(TensorNames.k + ".weight", [c.numKeyValueHeads * hd, d], 0.3)
            put(TensorNames.v + ".weight", [c.numKeyValueHeads * hd, d], 0.3)
            put(TensorNames.o + ".weight", [d, c.numAttentionHeads * hd], 0.2)
            if c.attentionBias {
                put(TensorNames.q + ".bias", [c.numAttentionHeads * hd], 0.2)
                put(TensorNames.k + ".bias", [c.numKeyValueHeads * hd], 0.2)
                put(TensorNames.v + ".bias", [c.numKeyValueHeads * hd], 0.2)
            }
            put(TensorNames.gate + ".weight", [c.intermediateSize, d], 0.3)
            put(TensorNames.up + ".weight", [c.intermediateSize, d], 0.3)
            put(TensorNames.down + ".weight", [d, c.intermediateSize], 0.2)
            t[TensorNames.block(i, TensorNames.inputNorm)] = Tensor(shape: [d], data: (0..<d).map { _ in 1 + 0.2 * g.next() })
            t[TensorNames.block(i, TensorNames.postNorm)] = Tensor(shape: [d], data: (0..<d).map { _ in 1 + 0.2 * g.next() })
        }
        return MemoryTensorSource(tensors: t)
    }

    static func ids(count: Int, vocab: Int, seed: UInt64 = 3) -> [Int32] {
        var g = Generator(state: seed)
        return (0..<count).map { _ in Int32((g.next() + 1) * 1000) % Int32(vocab) }
    }
}
