/// HF decoders: each maps the list of token strings to a new list; the result is joined.
enum TokenDecoding {
    static func decode(_ tokens: [String], with spec: DecoderSpec?) -> String {
        guard let spec else { return tokens.joined(separator: " ") }
        return apply(spec, to: tokens).joined()
    }

    static func apply(_ spec: DecoderSpec, to tokens: [String]) -> [String] {
        switch spec {
        case .sequence(let steps):
            return steps.reduce(tokens) { apply($1, to: $0) }
        case .fuse:
            return [tokens.joined()]
        case .replace(let pattern, let content):
            return tokens.map { replaceAll($0, pattern, content) }
        case .strip(let content, let start, let stop):
            return tokens.map { strip($0, content, start, stop) }
        case .metaspace(let replacement, let scheme):
            return tokens.enumerated().map { i, token in
                // HF drops every replacement character of the first token (not just a leading one).
                var out = String.UnicodeScalarView()
                let r = replacement.unicodeScalars.first
                for s in token.unicodeScalars {
                    if s == r {
                        if !(i == 0 && scheme != .never) { out.append(" ") }
                    } else {
                        out.append(s)
                    }
                }
                return String(out)
            }
        case .byteFallback:
            return byteFallback(tokens)
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens {
                if let raw = ByteLevelAlphabet.bytes(ofToken: token) {
                    bytes.append(contentsOf: raw)
                } else {
                    bytes.append(contentsOf: token.utf8)   // HF keeps such tokens as they are
                }
            }
            return [String(decoding: bytes, as: UTF8.self)]
        }
    }

    private static func replaceAll(_ s: String, _ pattern: String, _ content: String) -> String {
        guard !pattern.isEmpty else { return s }
        let out = CompiledNormalizer.replace(Array(s.utf8), Array(pattern.utf8), Array(content.utf8))
        return String(decoding: out, as: UTF8.self)
    }

    private static func strip(_ token: String, _ content: String, _ start: Int, _ stop: Int) -> String {
        let chars = Array(token.unicodeScalars)
        let c = content.unicodeScalars.first
        var startCut = 0
        while startCut < min(start, chars.count) && chars[startCut] == c { startCut += 1 }
        var stopCut = chars.count
        var removed = 0
        while removed < stop && stopCut > startCut && chars[stopCut - 1] == c { stopCut -= 1; removed += 1 }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: chars[startCut..<stopCut])
        return String(out)
    }

    /// Runs of `<0xNN>` tokens become their UTF-8 text, or one U+FFFD per byte if invalid.
    private static func byteFallback(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let s = String(validating: pending, as: UTF8.self) {
                out.append(s)
            } else {
                out.append(contentsOf: Array(repeating: "\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            let u = Array(token.utf8)
            if u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E,
               let b = UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16) {
                pending.append(b)
            } else {
                flush()
                out.append(token)
            }
        }
        flush()
        return out
    }
}
