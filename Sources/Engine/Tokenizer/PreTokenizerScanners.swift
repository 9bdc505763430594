/// Hand-written matchers for the pre-tokenizer regexes that real tokenizers ship. Each returns
/// the end of the match that starts at `i`: with these patterns every scalar starts a match
/// (letters, numbers, whitespace and "anything else" each have an alternative), so the matches
/// tile the text and `find_iter` never skips a gap.
enum KnownSplitRegex: Sendable, Equatable {
    /// GPT-2 / HF ByteLevel:
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// Llama-3 (`\p{N}{1,3}`) and Qwen2 (`\p{N}`):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case llama3(maxDigits: Int)

    static let gpt2Pattern =
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The scanner for a regex source string, if it is one we hand-coded.
    init?(pattern: String) {
        switch pattern {
        case Self.gpt2Pattern: self = .gpt2
        case Self.llama3Pattern: self = .llama3(maxDigits: 3)
        case Self.qwen2Pattern: self = .llama3(maxDigits: 1)
        default: return nil
        }
    }
}

/// Scans matches of a `KnownSplitRegex` over `p[0..<end]`.
struct RegexScanner {
    let kind: KnownSplitRegex
    let classes: UnsafeMutablePointer<UInt8>   // BMP class table

    init(kind: KnownSplitRegex) {
        self.kind = kind
        classes = ScalarClassTable.shared.bmp
    }

    @inline(__always) private func classOf(_ v: UInt32) -> UInt8 {
        v < 0x10000 ? classes[Int(v)] : ScalarClass.compute(v)
    }

    /// End of the match starting at `i < end`.
    @inline(__always)
    func matchEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        switch kind {
        case .gpt2: return gpt2End(p, i, end)
        case .llama3(let maxDigits): return llama3End(p, i, end, maxDigits)
        }
    }

    // MARK: runs

    @inline(__always) private func runWhile(_ p: UnsafePointer<UInt8>, _ j: Int, _ end: Int,
                                            _ mask: UInt8) -> Int {
        var j = j
        while j < end {
            let b = p[j]
            if b < 0x80 {
                if classes[Int(b)] & mask == 0 { break }
                j += 1
            } else {
                let (v, n) = decodeUTF8(p, j)
                if classOf(v) & mask == 0 { break }
                j += n
            }
        }
        return j
    }

    /// End of a run of scalars that are not whitespace, letter or number.
    @inline(__always) private func runOther(_ p: UnsafePointer<UInt8>, _ j: Int, _ end: Int) -> Int {
        var j = j
        while j < end {
            let b = p[j]
            if b < 0x80 {
                if classes[Int(b)] & ScalarClass.letterNumberSpace != 0 { break }
                j += 1
            } else {
                let (v, n) = decodeUTF8(p, j)
                if classOf(v) & ScalarClass.letterNumberSpace != 0 { break }
                j += n
            }
        }
        return j
    }

    // MARK: GPT-2

    private func gpt2End(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        let b = p[i]
        if b == 0x27, i + 1 < end {                          // 's 't 'm 'd 're 've 'll
            let n1 = p[i + 1]
            if n1 == 0x73 || n1 == 0x74 || n1 == 0x6D || n1 == 0x64 { return i + 2 }
            if i + 2 < end {
                let n2 = p[i + 2]
                if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) {
                    return i + 3
                }
            }
        }
        if b == 0x20, i + 1 < end {                          // optional leading space
            let (v, n) = decodeUTF8(p, i + 1)
            let c = classOf(v)
            if c & ScalarClass.letter != 0 { return runWhile(p, i + 1 + n, end, ScalarClass.letter) }
            if c & ScalarClass.number != 0 { return runWhile(p, i + 1 + n, end, ScalarClass.number) }
            if c & ScalarClass.whitespace == 0 { return runOther(p, i + 1 + n, end) }
        }
        let (v, n) = decodeUTF8(p, i)
        let c = classOf(v)
        if c & ScalarClass.letter != 0 { return runWhile(p, i + n, end, ScalarClass.letter) }
        if c & ScalarClass.number != 0 { return runWhile(p, i + n, end, ScalarClass.number) }
        if c & ScalarClass.whitespace == 0 { return runOther(p, i + n, end) }
        return whitespaceEnd(p, i, end, stopAfterLineBreak: false)
    }

    /// `\s*[\r\n]+` (when `stopAfterLineBreak`), else `\s+(?!\S)|\s+`, at whitespace `i`.
    @inline(__always)
    private func whitespaceEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int,
                               stopAfterLineBreak: Bool) -> Int {
        var j = i
        var lastStart = i
        var count = 0
        var afterLastLineBreak = -1
        while j < end {
            let b = p[j]
            let (v, n): (UInt32, Int) = b < 0x80 ? (UInt32(b), 1) : decodeUTF8(p, j)
            if classOf(v) & ScalarClass.whitespace == 0 { break }
            if v == 0x0A || v == 0x0D { afterLastLineBreak = j + n }
            lastStart = j
            j += n
            count += 1
        }
        // \s*[\r\n]+ backtracks to the last line break of the run.
        if stopAfterLineBreak && afterLastLineBreak >= 0 { return afterLastLineBreak }
        if j == end { return j }               // \s+(?!\S) at the end of the text
        if count >= 2 { return lastStart }     // \s+(?!\S) leaves the last space to the next word
        return j                               // \s+
    }

    // MARK: Llama-3 / Qwen2

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)` after the apostrophe at `j - 1`. Oniguruma's case folding
    /// also lets U+017F (long s) match `s`.
    @inline(__always)
    private func caseInsensitiveContractionEnd(_ p: UnsafePointer<UInt8>, _ j: Int, _ end: Int) -> Int? {
        guard j < end else { return nil }
        let b = p[j] | 0x20
        let c0 = p[j]
        if c0 < 0x80 {
            if b == 0x73 || b == 0x74 || b == 0x6D || b == 0x64 { return j + 1 }     // s t m d
            guard j + 1 < end, p[j + 1] < 0x80 else { return nil }
            let b1 = p[j + 1] | 0x20
            if (b == 0x72 && b1 == 0x65) || (b == 0x76 && b1 == 0x65) || (b == 0x6C && b1 == 0x6C) {
                return j + 2                                                         // re ve ll
            }
            return nil
        }
        if c0 == 0xC5, j + 1 < end, p[j + 1] == 0xBF { return j + 2 }                 // ſ
        return nil
    }

    private func llama3End(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int, _ maxDigits: Int) -> Int {
        let (v, n) = decodeUTF8(p, i)
        if v == 0x27, let e = caseInsensitiveContractionEnd(p, i + 1, end) { return e }
        let c = classOf(v)
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if c & (ScalarClass.letter | ScalarClass.number) == 0, v != 0x0A, v != 0x0D, i + n < end {
            let (v2, n2) = decodeUTF8(p, i + n)
            if classOf(v2) & ScalarClass.letter != 0 {
                return runWhile(p, i + n + n2, end, ScalarClass.letter)
            }
        }
        if c & ScalarClass.letter != 0 { return runWhile(p, i + n, end, ScalarClass.letter) }
        if c & ScalarClass.number != 0 {                     // \p{N}{1,maxDigits}
            var j = i + n
            var digits = 1
            while digits < maxDigits, j < end {
                let (v2, n2) = decodeUTF8(p, j)
                if classOf(v2) & ScalarClass.number == 0 { break }
                j += n2
                digits += 1
            }
            return j
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        var otherStart = -1
        if c & ScalarClass.whitespace == 0 {
            otherStart = i + n
        } else if v == 0x20, i + 1 < end {
            let (v2, n2) = decodeUTF8(p, i + 1)
            if classOf(v2) & ScalarClass.letterNumberSpace == 0 { otherStart = i + 1 + n2 }
        }
        if otherStart >= 0 {
            var j = runOther(p, otherStart, end)
            while j < end, p[j] == 0x0A || p[j] == 0x0D { j += 1 }
            return j
        }
        return whitespaceEnd(p, i, end, stopAfterLineBreak: true)
    }
}
