/// A tokenizer as data, in HF `tokenizers`' own terms: what a tokenizer.json says, or what a
/// GGUF vocabulary amounts to. Loaders produce it, `BPETokenizer` compiles it, and
/// `TokenizerJSONWriter` writes it back out.
struct TokenizerSpec: Sendable {
    var model: BPESpec
    var normalizer: NormalizerSpec?
    var preTokenizer: PreTokenizerSpec?
    var postProcessor: PostProcessorSpec?
    var decoder: DecoderSpec?
    var addedTokens: [AddedTokenSpec]
    /// Where it came from, for error messages.
    var source: String
}

struct BPESpec: Sendable {
    /// token → id
    var vocab: [String: Int32]
    /// In rank order.
    var merges: [(String, String)]
    var unkToken: String?
    var fuseUnk = false
    var byteFallback = false
    var ignoreMerges = false
}

struct AddedTokenSpec: Sendable, Equatable {
    var id: Int32
    var content: String
    var singleWord = false
    var lstrip = false
    var rstrip = false
    var normalized = true
    var special = false
}

indirect enum NormalizerSpec: Sendable, Equatable {
    case nfc, nfd, nfkc, nfkd
    case prepend(String)
    case replace(pattern: String, content: String)
    case strip(left: Bool, right: Bool)
    case sequence([NormalizerSpec])
}

enum PrependScheme: String, Sendable, Equatable {
    case first, always, never
}

enum SplitBehavior: String, Sendable, Equatable, CaseIterable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"
}

enum SplitPatternSpec: Sendable, Equatable {
    case string(String)
    case regex(String)
}

indirect enum PreTokenizerSpec: Sendable, Equatable {
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case split(pattern: SplitPatternSpec, behavior: SplitBehavior, invert: Bool)
    case digits(individual: Bool)
    case metaspace(replacement: String, prependScheme: PrependScheme, split: Bool)
    case sequence([PreTokenizerSpec])
}

indirect enum DecoderSpec: Sendable, Equatable {
    case byteLevel
    case metaspace(replacement: String, prependScheme: PrependScheme)
    case replace(pattern: String, content: String)
    case byteFallback
    case fuse
    case strip(content: String, start: Int, stop: Int)
    case sequence([DecoderSpec])
}

indirect enum PostProcessorSpec: Sendable, Equatable {
    /// Template for a single sequence: special-token names and `$A`, plus name → ids.
    case template(single: [TemplatePiece], specialTokens: [String: [Int32]])
    /// Adds nothing to ids (it only trims offsets).
    case byteLevel
    case sequence([PostProcessorSpec])

    enum TemplatePiece: Sendable, Equatable {
        case sequence
        case special(String)
    }
}
