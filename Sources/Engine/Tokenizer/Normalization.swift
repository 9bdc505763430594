import Foundation

/// A normalizer flattened into steps applied in order to each piece of input text.
struct CompiledNormalizer: Sendable {
    enum Step: Sendable {
        case unicode(Form)
        case prepend([UInt8])
        case replace(pattern: [UInt8], content: [UInt8])
        case strip(left: Bool, right: Bool)
    }

    enum Form: Sendable { case nfc, nfd, nfkc, nfkd }

    let steps: [Step]

    init(_ spec: NormalizerSpec) {
        var steps: [Step] = []
        func add(_ spec: NormalizerSpec) {
            switch spec {
            case .nfc: steps.append(.unicode(.nfc))
            case .nfd: steps.append(.unicode(.nfd))
            case .nfkc: steps.append(.unicode(.nfkc))
            case .nfkd: steps.append(.unicode(.nfkd))
            case .prepend(let s): steps.append(.prepend(Array(s.utf8)))
            case .replace(let pattern, let content): steps.append(.replace(pattern: Array(pattern.utf8), content: Array(content.utf8)))
            case .strip(let left, let right): steps.append(.strip(left: left, right: right))
            case .sequence(let inner): inner.forEach(add)
            }
        }
        add(spec)
        self.steps = steps
    }

    /// The normalized bytes of one piece of text.
    func apply(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var text = Array(input)
        for step in steps {
            switch step {
            case .unicode(let form): text = Self.normalize(text, form)
            case .prepend(let prefix): if !text.isEmpty { text = prefix + text }
            case .replace(let pattern, let content): text = Self.replace(text, pattern, content)
            case .strip(let left, let right): text = Self.strip(text, left: left, right: right)
            }
        }
        return text
    }

    /// Unicode normalization, line by line: a line feed never composes, decomposes or reorders
    /// with its neighbours, so lines normalize independently, and ASCII lines are already normal.
    static func normalize(_ text: [UInt8], _ form: Form) -> [UInt8] {
        if !text.contains(where: { $0 >= 0x80 }) { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.count + text.count / 8)
        text.withUnsafeBufferPointer { buf in
            var lineStart = 0
            while lineStart < buf.count {
                var lineEnd = lineStart
                var ascii = true
                while lineEnd < buf.count && buf[lineEnd] != 0x0A {
                    if buf[lineEnd] >= 0x80 { ascii = false }
                    lineEnd += 1
                }
                if lineEnd < buf.count { lineEnd += 1 }     // keep the line feed with its line
                let line = UnsafeBufferPointer(rebasing: buf[lineStart..<lineEnd])
                if ascii {
                    out.append(contentsOf: line)
                } else {
                    normalizeLine(line, form, into: &out)
                }
                lineStart = lineEnd
            }
        }
        return out
    }

    /// One line, in runs: scalars newer than HF's Unicode 9.0 tables are copied as they are
    /// (to those tables they are unassigned starters that never combine), the runs between
    /// them go through Foundation.
    private static func normalizeLine(_ line: UnsafeBufferPointer<UInt8>, _ form: Form, into out: inout [UInt8]) {
        let table = ScalarClassTable.shared
        let p = line.baseAddress!
        var runStart = 0
        var i = 0
        func flush(_ end: Int) {
            guard end > runStart else { return }
            let s = String(decoding: UnsafeBufferPointer(start: p + runStart, count: end - runStart), as: UTF8.self)
            let normalized: String
            switch form {
            case .nfc: normalized = s.precomposedStringWithCanonicalMapping
            case .nfd: normalized = s.decomposedStringWithCanonicalMapping
            case .nfkc: normalized = s.precomposedStringWithCompatibilityMapping
            case .nfkd: normalized = s.decomposedStringWithCompatibilityMapping
            }
            out.append(contentsOf: normalized.utf8)
        }
        while i < line.count {
            let (v, n) = decodeUTF8(p, i)
            if table.classOf(v) & ScalarClass.newerThanNormalizationTables != 0 {
                flush(i)
                out.append(contentsOf: UnsafeBufferPointer(start: p + i, count: n))
                runStart = i + n
            }
            i += n
        }
        flush(line.count)
    }

    /// Every non-overlapping occurrence of `pattern`, left to right, replaced by `content`.
    static func replace(_ text: [UInt8], _ pattern: [UInt8], _ content: [UInt8]) -> [UInt8] {
        guard !pattern.isEmpty, text.count >= pattern.count else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        let m = pattern.count
        while i < text.count {
            if i + m <= text.count && text[i] == pattern[0] && text[i..<(i + m)].elementsEqual(pattern) {
                out.append(contentsOf: content)
                i += m
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    /// Leading and/or trailing whitespace (Unicode White_Space) removed.
    static func strip(_ text: [UInt8], left: Bool, right: Bool) -> [UInt8] {
        let scalars = Array(String(decoding: text, as: UTF8.self).unicodeScalars)
        var a = 0, b = scalars.count
        if left { while a < b && scalars[a].properties.isWhitespace { a += 1 } }
        if right { while b > a && scalars[b - 1].properties.isWhitespace { b -= 1 } }
        if a == 0 && b == scalars.count { return text }
        var out: [UInt8] = []
        for s in scalars[a..<b] { appendUTF8(s.value, to: &out) }
        return out
    }
}
