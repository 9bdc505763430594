/// Rounds a model's weights to the precision they will be written in (f16/bf16) and back to
/// fp32, with the same conversions the safetensors writer and reader use, so that a model
/// evaluated in memory gives exactly the numbers of the written files.
extension LlamaModel {
    public func roundingWeights(to dtypeName: String) throws -> LlamaModel {
        let round: (Float) -> Float
        switch dtypeName.lowercased() {
        case "f32": return self
        case "f16": round = { SafetensorsConversion.floatFromHalfBits(SafetensorsConversion.f16Bits($0)) }
        case "bf16": round = { Float(bitPattern: UInt32(SafetensorsConversion.bf16Bits($0)) << 16) }
        default: throw EngineError.invalidArgument("cannot round weights to '\(dtypeName)' (f32, f16 or bf16)")
        }
        func r(_ v: [Float]) -> [Float] { v.map(round) }
        let blocks = self.blocks.map { b in
            BlockWeights(inputNorm: r(b.inputNorm),
                         attention: b.attention.map { AttentionWeights(qkv: r($0.qkv), qkvBias: $0.qkvBias.map(r), o: r($0.o)) },
                         postAttentionNorm: r(b.postAttentionNorm),
                         ffn: FFNWeights(width: b.ffn.width, gateUp: r(b.ffn.gateUp), down: r(b.ffn.down)))
        }
        let embedding = self.embedding.map(r)
        let head = config.tieWordEmbeddings && embedding != nil ? embedding : lmHead.map(r)
        return LlamaModel(config: config, blockRange: blockRange, blocks: blocks, embedding: embedding,
                          finalNorm: finalNorm.map(r), lmHead: head)
    }
}
