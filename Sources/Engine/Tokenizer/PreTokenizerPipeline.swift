/// One step of a compiled pre-tokenizer.
enum PreTokenizerStep: Sendable {
    case split(SplitMatcher, SplitBehavior, invert: Bool)
    case digits(individual: Bool)
    case metaspace(replacement: [UInt8], prependScheme: PrependScheme, split: Bool)
    /// Always the last step: BPE then reads the piece's bytes through the byte alphabet.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
}

/// A pre-tokenizer flattened into steps, each splitting every piece of the previous one.
struct CompiledPreTokenizer: Sendable {
    let steps: [PreTokenizerStep]
    /// True if the last step is ByteLevel (words reach the model as raw bytes).
    var byteLevel: Bool {
        if case .byteLevel = steps.last { return true }
        return false
    }

    init(_ spec: PreTokenizerSpec?, source: String) throws {
        var steps: [PreTokenizerStep] = []
        func add(_ spec: PreTokenizerSpec) throws {
            if case .byteLevel = steps.last {
                // After ByteLevel the text is spelled in the byte alphabet; later steps would
                // see different characters than the raw text has.
                throw EngineError.unsupported("\(source): pre-tokenizer \(spec) after ByteLevel")
            }
            switch spec {
            case .sequence(let inner):
                for s in inner { try add(s) }
            case .byteLevel(let addPrefixSpace, let useRegex):
                steps.append(.byteLevel(addPrefixSpace: addPrefixSpace, useRegex: useRegex))
            case .split(let pattern, let behavior, let invert):
                steps.append(.split(try SplitMatcher.compile(pattern, source: source), behavior, invert: invert))
            case .digits(let individual):
                steps.append(.digits(individual: individual))
            case .metaspace(let replacement, let scheme, let split):
                guard replacement.unicodeScalars.count == 1 else {
                    throw EngineError.unsupported("\(source): Metaspace replacement '\(replacement)' is not one character")
                }
                steps.append(.metaspace(replacement: Array(replacement.utf8), prependScheme: scheme, split: split))
            }
        }
        if let spec { try add(spec) }
        self.steps = steps
    }
}

/// Receives the words a pre-tokenizer produces.
protocol WordSink: AnyObject {
    func encodeWord(_ p: UnsafePointer<UInt8>, _ n: Int)
}

/// Runs a `CompiledPreTokenizer` over pieces of text, streaming words to a sink. One runner per
/// encode call: it owns the scratch buffers the steps write transformed text and spans into.
final class PreTokenizerRunner<Sink: WordSink> {
    private let steps: [PreTokenizerStep]
    /// The session that owns this runner (so not retained, which would be a cycle).
    private unowned(unsafe) let sink: Sink
    private let scratch: [UnsafeGrowableBuffer<UInt8>]
    private let spans: [UnsafeGrowableBuffer<MatchSpan>]
    private let pieces: [UnsafeGrowableBuffer<MatchSpan>]
    private let gpt2 = RegexScanner(kind: .gpt2)
    private let classes = ScalarClassTable.shared.bmp

    init(_ compiled: CompiledPreTokenizer, sink: Sink) {
        steps = compiled.steps
        self.sink = sink
        scratch = steps.map { _ in UnsafeGrowableBuffer<UInt8>(capacity: 256) }
        spans = steps.map { _ in UnsafeGrowableBuffer<MatchSpan>(capacity: 64) }
        pieces = steps.map { _ in UnsafeGrowableBuffer<MatchSpan>(capacity: 64) }
    }

    /// Pre-tokenizes one piece of normalized text. `atStart`: the piece begins the input
    /// (Metaspace's `first` scheme prepends only there).
    func run(_ p: UnsafePointer<UInt8>, _ n: Int, atStart: Bool) {
        process(0, p, n, atStart)
    }

    private func process(_ k: Int, _ p: UnsafePointer<UInt8>, _ n: Int, _ atStart: Bool) {
        if n == 0 { return }                        // HF drops empty splits
        if k == steps.count {
            sink.encodeWord(p, n)
            return
        }
        switch steps[k] {
        case .byteLevel(let addPrefixSpace, let useRegex):
            var text = p, count = n
            if addPrefixSpace && p[0] != 0x20 {
                let buffer = scratch[k]
                buffer.count = 0
                buffer.append(0x20)
                buffer.append(contentsOf: p, count: n)
                text = UnsafePointer(buffer.base)
                count = buffer.count
            }
            if useRegex {
                var i = 0
                while i < count {
                    let e = gpt2.matchEnd(text, i, count)
                    process(k + 1, text + i, e - i, atStart && i == 0)
                    i = e
                }
            } else {
                process(k + 1, text, count, atStart)
            }

        case .digits(let individual):
            var runStart = 0
            var runIsDigits = false
            var i = 0
            while i < n {
                let (v, len) = p[i] < 0x80 ? (UInt32(p[i]), 1) : decodeUTF8(p, i)
                let isDigit = (v < 0x10000 ? classes[Int(v)] : ScalarClass.compute(v)) & ScalarClass.numeric != 0
                if isDigit && individual {
                    if runStart < i { process(k + 1, p + runStart, i - runStart, atStart && runStart == 0) }
                    process(k + 1, p + i, len, atStart && i == 0)
                    runStart = i + len
                } else if i > runStart && isDigit != runIsDigits {
                    process(k + 1, p + runStart, i - runStart, atStart && runStart == 0)
                    runStart = i
                }
                runIsDigits = isDigit
                i += len
            }
            if runStart < n { process(k + 1, p + runStart, n - runStart, atStart && runStart == 0) }

        case .split(let matcher, let behavior, let invert):
            if case .known(let kind) = matcher, behavior == .isolated, !invert {
                let scanner = RegexScanner(kind: kind)
                var i = 0
                while i < n {
                    let e = scanner.matchEnd(p, i, n)
                    process(k + 1, p + i, e - i, atStart && i == 0)
                    i = e
                }
                return
            }
            matcher.findMatches(p, n, into: spans[k])
            emitPieces(k, p, behavior: behavior, invert: invert, atStart: atStart)

        case .metaspace(let replacement, let scheme, let split):
            let buffer = scratch[k]
            buffer.count = 0
            let startsWithReplacement = n >= replacement.count
                && replacement.withUnsafeBufferPointer { memoryEqual(p, $0.baseAddress!, $0.count) }
            // A leading space becomes the replacement, so it counts as already prefixed.
            let prepend: Bool
            switch scheme {
            case .always: prepend = !(startsWithReplacement || p[0] == 0x20)
            case .first: prepend = atStart && !(startsWithReplacement || p[0] == 0x20)
            case .never: prepend = false
            }
            replacement.withUnsafeBufferPointer { r in
                if prepend { buffer.append(contentsOf: r.baseAddress!, count: r.count) }
                for i in 0..<n {
                    if p[i] == 0x20 { buffer.append(contentsOf: r.baseAddress!, count: r.count) } else { buffer.append(p[i]) }
                }
            }
            let text = UnsafePointer(buffer.base)
            let count = buffer.count
            if !split {
                process(k + 1, text, count, atStart)
                return
            }
            SplitMatcher.literal(replacement).findMatches(text, count, into: spans[k])
            emitPieces(k, text, behavior: .mergedWithNext, invert: false, atStart: atStart)
        }
    }

    private func emitPieces(_ k: Int, _ p: UnsafePointer<UInt8>, behavior: SplitBehavior, invert: Bool,
                            atStart: Bool) {
        let out = pieces[k]
        applySplitBehavior(behavior, invert: invert, spans: spans[k], into: out)
        for j in 0..<out.count {
            let piece = out.base[j]
            process(k + 1, p + piece.start, piece.end - piece.start, atStart && piece.start == 0)
        }
    }
}
