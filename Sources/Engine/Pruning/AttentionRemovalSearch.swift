/// 2SSP stage 2 as a pure state machine: results in, decisions out, no I/O and no clocks, so
/// that one host, a pool of workers replying in any order, or a test can drive it alike.
///
/// Each iteration evaluates every block whose attention is still present (ascending); when all
/// perplexities are in, the lowest wins — scanning ascending with strict `<`, so ties go to the
/// lowest block index — and is removed for good. It ends after `removals` iterations.
public struct AttentionRemovalSearch: Sendable, Equatable {
    public struct Iteration: Sendable, Equatable {
        /// (block, perplexity) for every candidate, ascending by block.
        public var results: [(block: Int, perplexity: Double)]
        public var winner: Int
        public static func == (a: Iteration, b: Iteration) -> Bool {
            a.winner == b.winner && a.results.elementsEqual(b.results) { $0.block == $1.block && $0.perplexity.bitPattern == $1.perplexity.bitPattern }
        }
    }

    public enum SearchError: Error, Equatable, CustomStringConvertible {
        case notACandidate(Int), duplicateResult(Int), invalidPerplexity(Int, Double), finished
        public var description: String {
            switch self {
            case .notACandidate(let b): return "block \(b) is not a candidate in the current iteration"
            case .duplicateResult(let b): return "a result for block \(b) was already recorded"
            case .invalidPerplexity(let b, let p): return "perplexity \(p) for block \(b) is not a positive number"
            case .finished: return "the search has already finished"
            }
        }
    }

    public let blockCount: Int
    public let removals: Int
    /// Blocks whose attention is removed, in removal order.
    public private(set) var removed: [Int] = []
    public private(set) var history: [Iteration] = []
    private var pending: [Int: Double] = [:]

    /// Blocks with no attention to begin with (an input model pruned before); never candidates.
    public let absent: Set<Int>

    public init(blockCount: Int, removals: Int, absent: Set<Int> = []) {
        precondition(removals >= 0 && removals + absent.count <= blockCount)
        self.blockCount = blockCount
        self.removals = removals
        self.absent = absent
    }

    public var isFinished: Bool { removed.count == removals }

    /// Blocks to evaluate in the current iteration (ascending), empty when finished.
    public var candidates: [Int] {
        isFinished ? [] : (0..<blockCount).filter { !removed.contains($0) && !absent.contains($0) }
    }

    /// Candidates of the current iteration still waiting for a result.
    public var outstanding: [Int] { candidates.filter { pending[$0] == nil } }

    /// Records one candidate's perplexity. Returns the winner when this completed the iteration.
    @discardableResult
    public mutating func record(block: Int, perplexity: Double) throws -> Int? {
        guard !isFinished else { throw SearchError.finished }
        guard candidates.contains(block) else { throw SearchError.notACandidate(block) }
        guard pending[block] == nil else { throw SearchError.duplicateResult(block) }
        guard perplexity.isFinite, perplexity > 0 else { throw SearchError.invalidPerplexity(block, perplexity) }
        pending[block] = perplexity
        guard outstanding.isEmpty else { return nil }
        let results = candidates.map { (block: $0, perplexity: pending[$0]!) }
        var best = results[0]
        for r in results.dropFirst() where r.perplexity < best.perplexity { best = r }
        history.append(Iteration(results: results, winner: best.block))
        removed.append(best.block)
        pending = [:]
        return best.block
    }
}
