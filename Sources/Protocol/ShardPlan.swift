import Engine

/// Cuts the blocks into contiguous shards of about equal expected work. In stage 2 a candidate
/// at block i runs blocks i..<L and the LM head, so block j is run by about j+1 candidates per
/// iteration and the head by all of them: later blocks see more traffic, and the last shard
/// (which owns the head) gets fewer blocks. Stage 1 and evaluation run every block equally.
public enum ShardPlan {
    /// Expected work of each block and of the head, in multiply-adds per token.
    public static func costs(config c: ModelConfig, calibrationSamples: Int = 32, iterations: Int? = nil) -> (blocks: [Double], head: Double) {
        let L = c.numHiddenLayers
        let block = Double(BlockParameters(config: c).attention + BlockParameters(config: c).ffn)
        let head = Double(c.hiddenSize * c.vocabSize)
        let iters = Double(iterations ?? max(1, L / 4))
        let blocks = (0..<L).map { j in block * (Double(calibrationSamples) + iters * Double(j + 1)) }
        return (blocks, head * iters * Double(L))
    }

    /// The contiguous partition of the blocks into `count` shards that minimises the most
    /// expensive shard (the head counts towards the last one). Exact, by dynamic programming.
    public static func plan(config c: ModelConfig, shards count: Int, calibrationSamples: Int = 32) throws -> [Range<Int>] {
        let L = c.numHiddenLayers
        guard count >= 1, count <= L else { throw EngineError.invalidArgument("cannot cut \(L) blocks into \(count) shards") }
        let (blocks, head) = costs(config: c, calibrationSamples: calibrationSamples)
        var prefix = [0.0]
        for b in blocks { prefix.append(prefix.last! + b) }
        func cost(_ lo: Int, _ hi: Int) -> Double { prefix[hi] - prefix[lo] + (hi == L ? head : 0) }
        // best[k][i]: minimal max cost of cutting blocks 0..<i into k shards; cut[k][i]: start of the last.
        var best = Array(repeating: Array(repeating: Double.infinity, count: L + 1), count: count + 1)
        var cut = Array(repeating: Array(repeating: 0, count: L + 1), count: count + 1)
        best[0][0] = 0
        for k in 1...count {
            for i in k...L {
                for j in (k - 1)..<i {
                    let v = max(best[k - 1][j], cost(j, i))
                    if v < best[k][i] { best[k][i] = v; cut[k][i] = j }
                }
            }
        }
        var ranges: [Range<Int>] = []
        var end = L
        for k in stride(from: count, through: 1, by: -1) {
            let start = cut[k][end]
            ranges.insert(start..<end, at: 0)
            end = start
        }
        return ranges
    }
}
