import Foundation

/// A piece of text between byte offsets, marked as a pattern match or not.
struct MatchSpan {
    var start: Int
    var end: Int
    var isMatch: Bool
}

/// What a `Split` pre-tokenizer looks for.
enum SplitMatcher: @unchecked Sendable {   // NSRegularExpression is immutable and thread-safe
    /// A regex we scan by hand (exact Oniguruma semantics).
    case known(KnownSplitRegex)
    /// A plain string, matched left to right without overlaps.
    case literal([UInt8])
    /// Any other regex, through ICU. Oniguruma and ICU agree on ordinary patterns, but this
    /// is not byte-for-byte verified like the hand-coded ones.
    case regex(NSRegularExpression)

    static func compile(_ pattern: SplitPatternSpec, source: String) throws -> SplitMatcher {
        switch pattern {
        case .string(let s):
            return .literal(Array(s.utf8))
        case .regex(let r):
            if let known = KnownSplitRegex(pattern: r) { return .known(known) }
            do {
                return .regex(try NSRegularExpression(pattern: r, options: []))
            } catch {
                throw EngineError.unsupported("\(source): Split regex \(r) does not compile: \(error)")
            }
        }
    }

    /// HF `Pattern::find_matches`: spans covering `p[0..<n]`, matches and the gaps between them.
    func findMatches(_ p: UnsafePointer<UInt8>, _ n: Int, into spans: UnsafeGrowableBuffer<MatchSpan>) {
        spans.count = 0
        if n == 0 {
            spans.append(MatchSpan(start: 0, end: 0, isMatch: false))
            return
        }
        switch self {
        case .known(let kind):
            let scanner = RegexScanner(kind: kind)
            var i = 0
            while i < n {
                let e = scanner.matchEnd(p, i, n)
                spans.append(MatchSpan(start: i, end: e, isMatch: true))
                i = e
            }
        case .literal(let needle):
            if needle.isEmpty {
                spans.append(MatchSpan(start: 0, end: n, isMatch: false))
                return
            }
            needle.withUnsafeBufferPointer { nb in
                let m = nb.count
                var previous = 0
                var i = 0
                while i + m <= n {
                    if p[i] == nb[0] && memoryEqual(p + i, nb.baseAddress!, m) {
                        if previous != i { spans.append(MatchSpan(start: previous, end: i, isMatch: false)) }
                        spans.append(MatchSpan(start: i, end: i + m, isMatch: true))
                        i += m
                        previous = i
                    } else {
                        i += 1
                    }
                }
                if previous != n { spans.append(MatchSpan(start: previous, end: n, isMatch: false)) }
            }
        case .regex(let regex):
            let text = String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
            // NSRegularExpression speaks UTF-16 offsets; map them back to UTF-8 offsets.
            var utf8OffsetOfUTF16 = [Int](repeating: 0, count: text.utf16.count + 1)
            var u16 = 0, u8 = 0
            for scalar in text.unicodeScalars {
                let w16 = UTF16.width(scalar), w8 = UTF8.width(scalar)
                for k in 0..<w16 { utf8OffsetOfUTF16[u16 + k] = u8 }
                u16 += w16
                u8 += w8
            }
            utf8OffsetOfUTF16[u16] = u8
            var previous = 0
            for match in regex.matches(in: text, options: [], range: NSRange(location: 0, length: u16)) {
                let start = utf8OffsetOfUTF16[match.range.location]
                let end = utf8OffsetOfUTF16[match.range.location + match.range.length]
                if previous != start { spans.append(MatchSpan(start: previous, end: start, isMatch: false)) }
                spans.append(MatchSpan(start: start, end: end, isMatch: true))
                previous = end
            }
            if previous != n { spans.append(MatchSpan(start: previous, end: n, isMatch: false)) }
        }
    }
}

/// HF `NormalizedString::split`: turns match spans into the pieces to keep, per `behavior`.
/// Empty pieces are dropped later, as HF drops empty splits.
func applySplitBehavior(_ behavior: SplitBehavior, invert: Bool,
                        spans: UnsafeGrowableBuffer<MatchSpan>,
                        into pieces: UnsafeGrowableBuffer<MatchSpan>) {
    pieces.count = 0
    let s = spans.base
    let n = spans.count
    if invert {
        for i in 0..<n { s[i].isMatch.toggle() }
    }
    switch behavior {
    case .isolated:
        for i in 0..<n { pieces.append(MatchSpan(start: s[i].start, end: s[i].end, isMatch: false)) }
    case .removed:
        for i in 0..<n where !s[i].isMatch { pieces.append(s[i]) }
    case .contiguous:
        var previousMatch = false
        for i in 0..<n {
            if s[i].isMatch == previousMatch && pieces.count > 0 {
                pieces.base[pieces.count - 1].end = s[i].end
            } else {
                pieces.append(MatchSpan(start: s[i].start, end: s[i].end, isMatch: false))
            }
            previousMatch = s[i].isMatch
        }
    case .mergedWithPrevious:
        var previousMatch = false
        for i in 0..<n {
            if s[i].isMatch && !previousMatch && pieces.count > 0 {
                pieces.base[pieces.count - 1].end = s[i].end
            } else {
                pieces.append(MatchSpan(start: s[i].start, end: s[i].end, isMatch: false))
            }
            previousMatch = s[i].isMatch
        }
    case .mergedWithNext:
        // Walk backwards, then restore the order.
        var previousMatch = false
        var i = n - 1
        while i >= 0 {
            if s[i].isMatch && !previousMatch && pieces.count > 0 {
                pieces.base[pieces.count - 1].start = s[i].start
            } else {
                pieces.append(MatchSpan(start: s[i].start, end: s[i].end, isMatch: false))
            }
            previousMatch = s[i].isMatch
            i -= 1
        }
        var a = 0, b = pieces.count - 1
        while a < b { swap(&pieces.base[a], &pieces.base[b]); a += 1; b -= 1 }
    }
}
