import Foundation

/// Perplexity under the paper's protocol: non-overlapping windows of `sequenceLength` tokens
/// starting at `offset`, the tail that does not fill a window dropped, each window starting with
/// no context; PPL = exp(token-weighted mean NLL over the windows' shifted positions).
public struct PerplexityResult: Sendable, Equatable {
    public var windows: Int
    public var tokensScored: Int
    public var sumNLL: Double
    public var meanNLL: Double { sumNLL / Double(tokensScored) }
    public var perplexity: Double { Foundation.exp(meanNLL) }
    public init(windows: Int, tokensScored: Int, sumNLL: Double) {
        self.windows = windows; self.tokensScored = tokensScored; self.sumNLL = sumNLL
    }
}

public enum Perplexity {
    /// Token windows of the protocol: ids[offset + w*len ..< offset + (w+1)*len] for w < count.
    public static func windows(of ids: [Int32], sequenceLength: Int, offset: Int = 0,
                               limit: Int? = nil) throws -> [ArraySlice<Int32>] {
        guard sequenceLength >= 2 else { throw EngineError.invalidArgument("sequence length must be at least 2 (got \(sequenceLength))") }
        guard offset >= 0 else { throw EngineError.invalidArgument("offset must not be negative (got \(offset))") }
        let available = max(0, ids.count - offset) / sequenceLength
        let count = min(available, limit ?? available)
        if let limit, limit > available {
            throw EngineError.invalidArgument("\(limit) windows of \(sequenceLength) tokens need \(offset + limit * sequenceLength) tokens from offset \(offset); the text has \(ids.count)")
        }
        guard count > 0 else {
            throw EngineError.invalidArgument("the text has \(ids.count) tokens: not one window of \(sequenceLength) tokens after offset \(offset)")
        }
        return (0..<count).map { w in
            let start = offset + w * sequenceLength
            return ids[start..<(start + sequenceLength)]
        }
    }

    /// Evaluates `windows` in batches of `batchSize` sequences; `progress(done, total)` after each batch.
    public static func evaluate(model: inout LlamaModel, windows: [ArraySlice<Int32>], batchSize: Int = 1,
                                removedAttention: Set<Int> = [],
                                progress: (Int, Int) -> Void = { _, _ in }) throws -> PerplexityResult {
        guard let length = windows.first?.count else { throw EngineError.invalidArgument("no windows to evaluate") }
        var result = PerplexityResult(windows: 0, tokensScored: 0, sumNLL: 0)
        var start = 0
        while start < windows.count {
            let batch = windows[start..<min(windows.count, start + max(1, batchSize))]
            let ids = batch.flatMap { $0 }
            var hidden = try model.embed(ids)
            try model.runBlocks(hidden: &hidden, sequenceLength: length, removedAttention: removedAttention)
            for loss in try model.nextTokenLoss(hidden: hidden, ids: ids, sequenceLength: length) {
                result.sumNLL += loss.sum
                result.tokensScored += loss.count
                result.windows += 1
            }
            start += batch.count
            progress(start, windows.count)
        }
        return result
    }
}
