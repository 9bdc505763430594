import Foundation

/// Parameter counts of one decoder block, as 2SSP counts them (block 0 stands for all blocks;
/// embeddings, LM head and final norm are not counted).
public struct BlockParameters: Sendable, Equatable {
    /// q, k, v, o weights (+ q/k/v biases where the family has them).
    public var attention: Int
    /// gate, up, down weights.
    public var ffn: Int
    /// Both RMSNorm weight vectors.
    public var norms: Int
    public var block: Int { attention + ffn + norms }

    public init(config c: ModelConfig, ffnWidth: Int? = nil) {
        let d = c.hiddenSize, hd = c.headDim
        let q = c.numAttentionHeads * hd, kv = c.numKeyValueHeads * hd
        attention = d * q + 2 * d * kv + q * d + (c.attentionBias ? q + 2 * kv : 0)
        ffn = 3 * d * (ffnWidth ?? c.intermediateSize)
        norms = 2 * d
    }
}

/// How 2SSP splits a target sparsity between the two stages.
public struct BalancedPlan: Sendable, Equatable {
    public var targetSparsity: Double
    public var attentionRemovals: Int
    /// FFN neurons kept in every block (K).
    public var ffnWidth: Int
    /// Parameters of all decoder blocks before pruning (P_main).
    public var mainParameters: Int
    /// P_main after pruning (removed attentions and narrower FFNs; norms kept).
    public var prunedMainParameters: Int
    public var realisedSparsity: Double { 1 - Double(prunedMainParameters) / Double(mainParameters) }
}

public enum Balancing {
    /// The reference's balancing formula, in float64 with round-half-to-even everywhere:
    /// N_attn = round(L * s^((P_ffn/P_attn)/alpha)), then the FFN width K that makes up the rest.
    /// `attentionOverride` replaces N_attn (the `--attention-count` option).
    public static func plan(config c: ModelConfig, sparsity s: Double, alpha: Double = 1.5,
                            attentionOverride: Int? = nil) throws -> BalancedPlan {
        guard s > 0, s < 1, s.isFinite else {
            throw EngineError.invalidArgument("sparsity must be strictly between 0 and 1 (got \(s))")
        }
        guard alpha > 0, alpha.isFinite else { throw EngineError.invalidArgument("alpha must be positive (got \(alpha))") }
        let p = BlockParameters(config: c)
        let L = c.numHiddenLayers
        let pAttn = Double(p.attention), pFFN = Double(p.ffn)
        let pMain = Double(L * p.block)
        let nAttn: Int
        if let attentionOverride {
            guard (0...L).contains(attentionOverride) else {
                throw EngineError.invalidArgument("attention count \(attentionOverride) is outside 0...\(L)")
            }
            nAttn = attentionOverride
        } else {
            nAttn = Int((Double(L) * pow(s, (pFFN / pAttn) / alpha)).rounded(.toNearestOrEven))
        }
        if Double(nAttn) * pAttn / pMain > s {
            throw EngineError.invalidArgument(String(format: "sparsity %.4g is infeasible: removing %d attention modules alone exceeds the target (%.4f of the block parameters)", s, nAttn, Double(nAttn) * pAttn / pMain))
        }
        if (Double(nAttn) * pAttn + Double(L) * pFFN) / pMain < s {
            throw EngineError.invalidArgument(String(format: "sparsity %.4g is unreachable: removing %d attention modules and every FFN neuron removes only %.4f of the block parameters", s, nAttn, (Double(nAttn) * pAttn + Double(L) * pFFN) / pMain))
        }
        let target = (s * pMain).rounded(.toNearestOrEven)
        let perFFN = ((target - Double(nAttn) * pAttn) / Double(L)).rounded(.toNearestOrEven)
        let k = Int((Double(c.intermediateSize) * (1 - perFFN / pFFN)).rounded(.toNearestOrEven))
        let pruned = BlockParameters(config: c, ffnWidth: k)
        let prunedMain = L * (pruned.ffn + pruned.norms) + (L - nAttn) * pruned.attention
        return BalancedPlan(targetSparsity: s, attentionRemovals: nAttn, ffnWidth: k,
                            mainParameters: Int(pMain), prunedMainParameters: prunedMain)
    }
}
