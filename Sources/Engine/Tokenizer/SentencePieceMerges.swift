/// Merges for a SentencePiece BPE vocabulary that lists none, derived from token scores the way
/// transformers' `generate_merges` does: every split of a token into two vocabulary tokens is a
/// merge; merges sort by the merged token's score, best first, then by the pieces' lengths.
enum SentencePieceMerges {
    /// `tokens` in id order (a token listed twice keeps its last id, and its first place);
    /// `scores` parallel to `tokens`, or nil to rank by id instead (lower id first).
    static func generate(tokens: [String], scores: [Float]?) -> [(String, String)] {
        var idOf: [String: Int] = [:]
        for (i, t) in tokens.enumerated() { idOf[t] = i }
        // The score dictionary keeps first-insertion order and the last score of a duplicate.
        var order: [String] = []
        var scoreOf: [String: Double] = [:]
        for (i, t) in tokens.enumerated() {
            if scoreOf[t] == nil { order.append(t) }
            scoreOf[t] = scores.map { Double($0[i]) } ?? Double(idOf[t] ?? i)
        }
        struct Candidate {
            var left: String, right: String
            var score: Double
            var leftLength: Int, rightLength: Int   // in characters, as Python's len
            var sequence: Int                        // stable-sort tie-breaker
        }
        var candidates: [Candidate] = []
        for merged in order {
            let chars = Array(merged.unicodeScalars)
            guard chars.count > 1, let score = scoreOf[merged] else { continue }
            var local: [(String, String, Int, Int)] = []
            for cut in 1..<chars.count {
                var l = String.UnicodeScalarView(), r = String.UnicodeScalarView()
                l.append(contentsOf: chars[..<cut]); r.append(contentsOf: chars[cut...])
                let left = String(l), right = String(r)
                if let li = idOf[left], let ri = idOf[right] { local.append((left, right, li, ri)) }
            }
            local.sort { ($0.2, $0.3) < ($1.2, $1.3) }
            for (left, right, _, _) in local {
                candidates.append(Candidate(left: left, right: right, score: score,
                                            leftLength: left.unicodeScalars.count,
                                            rightLength: right.unicodeScalars.count,
                                            sequence: candidates.count))
            }
        }
        let descending = scores != nil
        candidates.sort { a, b in
            let ka = (a.score, a.leftLength, a.rightLength), kb = (b.score, b.leftLength, b.rightLength)
            if ka != kb { return descending ? ka > kb : ka < kb }
            return a.sequence < b.sequence
        }
        return candidates.map { ($0.left, $0.right) }
    }
}
