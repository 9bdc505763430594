/// The tokenizer a GGUF file's `tokenizer.ggml.*` metadata describes, as the HF tokenizer.json
/// the model ships with would have it.
///
/// - `gpt2` (byte-level BPE): the file's vocabulary and merges; the pre-tokenizer follows
///   `tokenizer.ggml.pre`. `smollm` splits every digit off before the GPT-2 regex, as SmolLM2's
///   own tokenizer.json does (transformers' GGUF loader omits that step and disagrees with the
///   model's tokenizer on digits). `llama-bpe` family: Llama-3's regex and `ignore_merges`
///   (as Llama-3's tokenizer.json and llama.cpp do); `qwen2` family: Qwen2's regex and NFC.
/// - `llama` (SentencePiece BPE): merges from the file, or derived from the scores as
///   transformers does; byte fallback to `<0xNN>` tokens; Metaspace with a prefix space.
enum GGUFVocabulary {
    enum TokenType: Int {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    static let llama3Names: Set<String> = ["llama3", "llama-v3", "llama-bpe"]
    static let qwen2Names: Set<String> = ["qwen2", "deepseek-r1-qwen"]
    static let gpt2Names: Set<String> = ["default", "gpt2"]

    static func spec(metadata: [String: GGUFValue], path: String) throws -> TokenizerSpec {
        let m = GGUFTokenizerMetadata(metadata, path: path)
        let kind = try m.string("tokenizer.ggml.model")
        let tokens = try m.strings("tokenizer.ggml.tokens")
        guard !tokens.isEmpty, tokens.count < Int(Int32.max) else {
            throw EngineError.corruptFile(path: path, reason: "tokenizer.ggml.tokens is empty or too long")
        }
        let types = try m.optionalInts("tokenizer.ggml.token_type")
        if let types, types.count != tokens.count {
            throw EngineError.corruptFile(path: path,
                reason: "tokenizer.ggml.token_type has \(types.count) entries for \(tokens.count) tokens")
        }
        func entries(ofType type: TokenType) -> [(Int, String)] {
            guard let types else { return [] }
            return tokens.enumerated().filter { types[$0.offset] == type.rawValue }.map { ($0.offset, $0.element) }
        }
        let bosId = try m.optionalTokenId("tokenizer.ggml.bos_token_id", count: tokens.count)
        let eosId = try m.optionalTokenId("tokenizer.ggml.eos_token_id", count: tokens.count)

        var spec: TokenizerSpec
        switch kind {
        case "gpt2":
            spec = try byteLevelSpec(m, tokens: tokens)
            spec.postProcessor = template(bos: try m.optionalBool("tokenizer.ggml.add_bos_token") ?? false ? bosId : nil,
                                          eos: try m.optionalBool("tokenizer.ggml.add_eos_token") ?? false ? eosId : nil,
                                          tokens: tokens)
            let alphabet = Set(ByteLevelAlphabet.scalarOfByte)
            // A control token spelled outside the byte alphabet is a llama.cpp mislabel; HF skips it.
            for (id, token) in entries(ofType: .control)
            where token.unicodeScalars.allSatisfy({ alphabet.contains($0.value) }) {
                spec.addedTokens.append(AddedTokenSpec(id: spec.model.vocab[token] ?? Int32(id), content: token,
                                                       normalized: false, special: true))
            }
        case "llama":
            spec = try sentencePieceSpec(m, tokens: tokens)
            spec.postProcessor = template(bos: try m.optionalBool("tokenizer.ggml.add_bos_token") ?? true ? bosId : nil,
                                          eos: try m.optionalBool("tokenizer.ggml.add_eos_token") ?? false ? eosId : nil,
                                          tokens: tokens)
            for (id, token) in entries(ofType: .control) {
                spec.addedTokens.append(AddedTokenSpec(id: spec.model.vocab[token] ?? Int32(id), content: token,
                                                       normalized: false, special: true))
            }
        default:
            throw EngineError.unsupported("\(path): GGUF tokenizer model \(kind)")
        }
        // transformers also registers the named special tokens (unk, bos, eos, pad) as special.
        var known = Set(spec.addedTokens.map(\.content))
        for key in ["unknown", "bos", "eos", "padding"] {
            guard let id = try m.optionalTokenId("tokenizer.ggml.\(key)_token_id", count: tokens.count) else { continue }
            let token = tokens[Int(id)]
            if known.insert(token).inserted {
                spec.addedTokens.append(AddedTokenSpec(id: spec.model.vocab[token] ?? id, content: token,
                                                       normalized: false, special: true))
            }
        }
        // User-defined tokens (like `<think>`) are matched whole, as plain added tokens.
        for (_, token) in entries(ofType: .userDefined) where !known.contains(token) {
            guard let id = spec.model.vocab[token] else { continue }
            spec.addedTokens.append(AddedTokenSpec(id: id, content: token, normalized: false, special: false))
        }
        return spec
    }

    private static func byteLevelSpec(_ m: GGUFTokenizerMetadata, tokens: [String]) throws -> TokenizerSpec {
        let alphabet = Set(ByteLevelAlphabet.scalarOfByte)
        var vocab: [String: Int32] = [:]
        vocab.reserveCapacity(tokens.count)
        for (i, token) in tokens.enumerated() {
            let spelled = token.unicodeScalars.allSatisfy { alphabet.contains($0.value) }
                ? token : ByteLevelAlphabet.spelling(of: token.utf8)
            vocab[spelled] = Int32(i)
        }
        guard let mergeLines = try m.optionalStrings("tokenizer.ggml.merges") else {
            throw EngineError.unsupported("\(m.path): GGUF gpt2 vocabulary without tokenizer.ggml.merges")
        }
        let merges = try mergeLines.enumerated().map { rank, line -> (String, String) in
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw EngineError.corruptFile(path: m.path, reason: "tokenizer.ggml.merges[\(rank)] \"\(line)\" is not two tokens")
            }
            return (String(parts[0]), String(parts[1]))
        }
        let pre = try m.optionalString("tokenizer.ggml.pre") ?? "default"
        var model = BPESpec(vocab: vocab, merges: merges, unkToken: nil)
        let preTokenizer: PreTokenizerSpec
        var normalizer: NormalizerSpec?
        let byteLevelNoRegex = PreTokenizerSpec.byteLevel(addPrefixSpace: false, useRegex: false)
        if pre == "smollm" {
            preTokenizer = .sequence([.digits(individual: true), .byteLevel(addPrefixSpace: false, useRegex: true)])
        } else if llama3Names.contains(pre) {
            preTokenizer = .sequence([.split(pattern: .regex(KnownSplitRegex.llama3Pattern), behavior: .isolated, invert: false),
                                      byteLevelNoRegex])
            model.ignoreMerges = true
        } else if qwen2Names.contains(pre) {
            preTokenizer = .sequence([.split(pattern: .regex(KnownSplitRegex.qwen2Pattern), behavior: .isolated, invert: false),
                                      byteLevelNoRegex])
            normalizer = .nfc
        } else if gpt2Names.contains(pre) {
            preTokenizer = .byteLevel(addPrefixSpace: false, useRegex: true)
        } else {
            throw EngineError.unsupported("\(m.path): GGUF pre-tokenizer \(pre)")
        }
        return TokenizerSpec(model: model, normalizer: normalizer, preTokenizer: preTokenizer,
                             postProcessor: nil, decoder: .byteLevel, addedTokens: [], source: m.path)
    }

    private static func sentencePieceSpec(_ m: GGUFTokenizerMetadata, tokens: [String]) throws -> TokenizerSpec {
        var vocab: [String: Int32] = [:]
        vocab.reserveCapacity(tokens.count)
        for (i, token) in tokens.enumerated() { vocab[token] = Int32(i) }
        let merges: [(String, String)]
        if let lines = try m.optionalStrings("tokenizer.ggml.merges") {
            merges = try lines.enumerated().map { rank, line in
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw EngineError.corruptFile(path: m.path, reason: "tokenizer.ggml.merges[\(rank)] \"\(line)\" is not two tokens")
                }
                return (String(parts[0]), String(parts[1]))
            }
        } else {
            let scores = try m.optionalFloats("tokenizer.ggml.scores")
            if let scores, scores.count != tokens.count {
                throw EngineError.corruptFile(path: m.path,
                    reason: "tokenizer.ggml.scores has \(scores.count) entries for \(tokens.count) tokens")
            }
            merges = SentencePieceMerges.generate(tokens: tokens, scores: scores)
        }
        let prefixSpace = try m.optionalBool("tokenizer.ggml.add_space_prefix") ?? true
        var decoders: [DecoderSpec] = [.replace(pattern: "\u{2581}", content: " "), .byteFallback, .fuse]
        if prefixSpace { decoders.append(.strip(content: " ", start: 1, stop: 0)) }
        return TokenizerSpec(
            // No unk in the model, as transformers builds it: with all 256 byte tokens it is never needed.
            model: BPESpec(vocab: vocab, merges: merges, unkToken: nil, fuseUnk: true, byteFallback: true),
            normalizer: nil,
            preTokenizer: .metaspace(replacement: "\u{2581}", prependScheme: prefixSpace ? .first : .never, split: false),
            postProcessor: nil,
            decoder: .sequence(decoders),
            addedTokens: [],
            source: m.path)
    }

    private static func template(bos: Int32?, eos: Int32?, tokens: [String]) -> PostProcessorSpec? {
        var pieces: [PostProcessorSpec.TemplatePiece] = []
        var specials: [String: [Int32]] = [:]
        if let bos {
            pieces.append(.special(tokens[Int(bos)]))
            specials[tokens[Int(bos)]] = [bos]
        }
        pieces.append(.sequence)
        if let eos {
            pieces.append(.special(tokens[Int(eos)]))
            specials[tokens[Int(eos)]] = [eos]
        }
        return pieces.count == 1 ? nil : .template(single: pieces, specialTokens: specials)
    }
}

/// Typed reads of GGUF metadata with errors naming the file and key.
struct GGUFTokenizerMetadata {
    let metadata: [String: GGUFValue]
    let path: String

    init(_ metadata: [String: GGUFValue], path: String) {
        self.metadata = metadata
        self.path = path
    }

    private func wrong(_ key: String, _ expected: String) -> EngineError {
        .corruptFile(path: path, reason: "metadata \(key) is not \(expected)")
    }

    func string(_ key: String) throws -> String {
        guard let value = try optionalString(key) else {
            throw EngineError.corruptFile(path: path, reason: "metadata \(key) is missing")
        }
        return value
    }

    func optionalString(_ key: String) throws -> String? {
        guard let value = metadata[key] else { return nil }
        guard case .string(let s) = value else { throw wrong(key, "a string") }
        return s
    }

    func strings(_ key: String) throws -> [String] {
        guard let value = try optionalStrings(key) else {
            throw EngineError.corruptFile(path: path, reason: "metadata \(key) is missing")
        }
        return value
    }

    func optionalStrings(_ key: String) throws -> [String]? {
        guard let value = metadata[key] else { return nil }
        guard case .array(let items) = value else { throw wrong(key, "an array of strings") }
        return try items.map { item in
            guard case .string(let s) = item else { throw wrong(key, "an array of strings") }
            return s
        }
    }

    func optionalInts(_ key: String) throws -> [Int]? {
        guard let value = metadata[key] else { return nil }
        guard case .array(let items) = value else { throw wrong(key, "an array of integers") }
        return try items.map { item in
            guard let i = item.int else { throw wrong(key, "an array of integers") }
            return i
        }
    }

    func optionalFloats(_ key: String) throws -> [Float]? {
        guard let value = metadata[key] else { return nil }
        guard case .array(let items) = value else { throw wrong(key, "an array of numbers") }
        return try items.map { item in
            switch item {
            case .float32(let f): return f
            case .float64(let d): return Float(d)
            default:
                guard let i = item.int else { throw wrong(key, "an array of numbers") }
                return Float(i)
            }
        }
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let value = metadata[key] else { return nil }
        guard case .bool(let b) = value else { throw wrong(key, "a boolean") }
        return b
    }

    /// A token id that must index the vocabulary.
    func optionalTokenId(_ key: String, count: Int) throws -> Int32? {
        guard let value = metadata[key] else { return nil }
        guard let i = value.int, i >= 0, i < count else {
            throw wrong(key, "a token id below \(count)")
        }
        return Int32(i)
    }
}
