/// Finds added tokens in text the way HF's AddedVocabulary does: an Aho-Corasick scan with
/// leftmost-longest matches, then each match's `single_word`, `lstrip` and `rstrip` rules.
struct AddedTokenMatcher: Sendable {
    struct Pattern: Sendable {
        var bytes: [UInt8]
        var id: Int32
        var singleWord: Bool
        var lstrip: Bool
        var rstrip: Bool
    }

    /// A stretch of text: an added token (`id >= 0`) or plain text (`id == -1`).
    struct Segment: Equatable {
        var start: Int
        var end: Int
        var id: Int32
    }

    private let patterns: [Pattern]
    /// Byte trie: `children[node << 8 | byte]` = child node; `terminal[node]` = pattern index.
    private let children: [Int: Int]
    private let terminal: [Int]
    private let startsPattern: [Bool]

    var isEmpty: Bool { patterns.isEmpty }

    init(_ patterns: [Pattern]) {
        self.patterns = patterns
        var children: [Int: Int] = [:]
        var terminal = [-1]
        var starts = [Bool](repeating: false, count: 256)
        for (index, pattern) in patterns.enumerated() where !pattern.bytes.isEmpty {
            starts[Int(pattern.bytes[0])] = true
            var node = 0
            for b in pattern.bytes {
                let key = node << 8 | Int(b)
                if let child = children[key] {
                    node = child
                } else {
                    terminal.append(-1)
                    children[key] = terminal.count - 1
                    node = terminal.count - 1
                }
            }
            if terminal[node] < 0 { terminal[node] = index }    // first of duplicates wins
        }
        self.children = children
        self.terminal = terminal
        startsPattern = starts
    }

    /// Non-overlapping leftmost-longest matches as (start, end, pattern index).
    private func rawMatches(_ p: UnsafeBufferPointer<UInt8>) -> [(Int, Int, Int)] {
        var matches: [(Int, Int, Int)] = []
        var i = 0
        let n = p.count
        while i < n {
            if !startsPattern[Int(p[i])] { i += 1; continue }
            var node = 0
            var j = i
            var best = -1, bestEnd = -1
            while j < n, let child = children[node << 8 | Int(p[j])] {
                node = child
                j += 1
                if terminal[node] >= 0 { best = terminal[node]; bestEnd = j }
            }
            if best >= 0 {
                matches.append((i, bestEnd, best))
                i = bestEnd
            } else {
                i += 1
            }
        }
        return matches
    }

    /// HF `find_matches`: segments covering `p`, in order.
    func split(_ p: UnsafeBufferPointer<UInt8>) -> [Segment] {
        let n = p.count
        if n == 0 || patterns.isEmpty { return [Segment(start: 0, end: n, id: -1)] }
        var segments: [Segment] = []
        var startOffset = 0
        for (matchStart, matchEnd, index) in rawMatches(p) {
            var start = matchStart, stop = matchEnd
            let pattern = patterns[index]
            if pattern.singleWord {
                let startSpace = start == 0 || !Self.endsWithWord(p, start)
                let stopSpace = stop == n || !Self.startsWithWord(p, stop)
                if !startSpace || !stopSpace { continue }
            }
            if pattern.lstrip {
                start = max(Self.trailingSpaceStart(p, start), startOffset)
            }
            if pattern.rstrip {
                stop = Self.leadingSpaceEnd(p, stop)
            }
            if startOffset < start { segments.append(Segment(start: startOffset, end: start, id: -1)) }
            segments.append(Segment(start: start, end: stop, id: pattern.id))
            startOffset = stop
        }
        if startOffset != n { segments.append(Segment(start: startOffset, end: n, id: -1)) }
        return segments
    }

    // MARK: word and space tests (Rust regex \w and \s)

    private static func scalarBefore(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        var j = i - 1
        while j > 0 && p[j] & 0xC0 == 0x80 { j -= 1 }
        return (decodeUTF8(p.baseAddress!, j).value, j)
    }

    private static func classOf(_ v: UInt32) -> UInt8 { ScalarClassTable.shared.classOf(v) }

    private static func endsWithWord(_ p: UnsafeBufferPointer<UInt8>, _ end: Int) -> Bool {
        classOf(scalarBefore(p, end).0) & ScalarClass.word != 0
    }

    private static func startsWithWord(_ p: UnsafeBufferPointer<UInt8>, _ start: Int) -> Bool {
        classOf(decodeUTF8(p.baseAddress!, start).value) & ScalarClass.word != 0
    }

    /// Start of the whitespace that ends `p[0..<end]`.
    private static func trailingSpaceStart(_ p: UnsafeBufferPointer<UInt8>, _ end: Int) -> Int {
        var i = end
        while i > 0 {
            let (v, j) = scalarBefore(p, i)
            if classOf(v) & ScalarClass.whitespace == 0 { break }
            i = j
        }
        return i
    }

    /// End of the whitespace that starts `p[start...]`.
    private static func leadingSpaceEnd(_ p: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var i = start
        while i < p.count {
            let (v, len) = decodeUTF8(p.baseAddress!, i)
            if classOf(v) & ScalarClass.whitespace == 0 { break }
            i += len
        }
        return i
    }
}
