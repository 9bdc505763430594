/// The tokenizer: added tokens, normalizer, pre-tokenizer and BPE model, as HF runs them.
final class BPETokenizer: TextTokenizer, @unchecked Sendable {   // immutable after init
    let decoder: DecoderSpec?
    let model: BPEModel
    let normalizer: CompiledNormalizer?
    let preTokenizer: CompiledPreTokenizer
    let postProcessor: CompiledPostProcessor
    /// Added tokens matched in the raw text, and those matched after normalization.
    let rawAddedTokens: AddedTokenMatcher
    let normalizedAddedTokens: AddedTokenMatcher
    /// id → content for added tokens (decode prefers them over the model vocabulary).
    let addedTokenContent: [Int32: String]
    let vocabularySize: Int

    init(_ spec: TokenizerSpec) throws {
        decoder = spec.decoder
        preTokenizer = try CompiledPreTokenizer(spec.preTokenizer, source: spec.source)
        model = try BPEModel(spec.model, byteLevel: preTokenizer.byteLevel, source: spec.source)
        normalizer = spec.normalizer.map(CompiledNormalizer.init)
        postProcessor = try CompiledPostProcessor(spec.postProcessor, source: spec.source)

        var raw: [AddedTokenMatcher.Pattern] = [], normalized: [AddedTokenMatcher.Pattern] = []
        var content: [Int32: String] = [:]
        var maxId = Int32(model.tokenOfId.count - 1)
        // HF matches special tokens first, then the others, each in the order given.
        let ordered = spec.addedTokens.filter(\.special) + spec.addedTokens.filter { !$0.special }
        for token in ordered where !token.content.isEmpty {
            let id = spec.model.vocab[token.content] ?? token.id
            guard id >= 0, id < BPEModel.maxTokenId else {
                throw EngineError.corruptFile(path: spec.source, reason: "added token \(token.content) has id \(id)")
            }
            maxId = max(maxId, id)
            var pattern = AddedTokenMatcher.Pattern(bytes: Array(token.content.utf8), id: id,
                singleWord: token.singleWord, lstrip: token.lstrip, rstrip: token.rstrip)
            if token.normalized {
                if let normalizer {
                    pattern.bytes = pattern.bytes.withUnsafeBufferPointer { normalizer.apply($0) }
                }
                normalized.append(pattern)
            } else {
                raw.append(pattern)
            }
            // HF decodes a normalized added token as its normalized text.
            content[id] = String(decoding: pattern.bytes, as: UTF8.self)
        }
        rawAddedTokens = AddedTokenMatcher(raw)
        normalizedAddedTokens = AddedTokenMatcher(normalized)
        addedTokenContent = content
        vocabularySize = Int(maxId) + 1
    }

    func encode(_ text: String, addSpecialTokens: Bool) -> [Int32] {
        var text = text
        let session = EncodeSession(self)
        text.withUTF8 { session.encode($0) }
        let ids = session.ids.toArray()
        return addSpecialTokens ? postProcessor.apply(ids) : ids
    }

    func decode(_ ids: [Int32]) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if let added = addedTokenContent[id] {
                tokens.append(added)
            } else if id >= 0, Int(id) < model.tokenOfId.count, let token = model.tokenOfId[Int(id)] {
                tokens.append(token)
            }
        }
        return TokenDecoding.decode(tokens, with: decoder)
    }
}

/// The mutable state of one encode call: output ids, the word cache and scratch buffers.
final class EncodeSession: WordSink {
    private let tokenizer: BPETokenizer
    private let model: BPEModel
    let ids = UnsafeGrowableBuffer<Int32>(capacity: 1024)
    private let cache = ByteSequenceTable(maxEntries: 1 << 18)
    private let symbols = UnsafeGrowableBuffer<Int32>(capacity: 256)
    private let scratch = MergeScratch()
    private var runner: PreTokenizerRunner<EncodeSession>!
    /// Words longer than this skip the cache (they rarely repeat).
    private let maxCachedWordLength = 256

    init(_ tokenizer: BPETokenizer) {
        self.tokenizer = tokenizer
        model = tokenizer.model
        runner = PreTokenizerRunner(tokenizer.preTokenizer, sink: self)
    }

    func encode(_ text: UnsafeBufferPointer<UInt8>) {
        ids.reserve(text.count / 3)
        for segment in tokenizer.rawAddedTokens.split(text) {
            if segment.id >= 0 {
                ids.append(segment.id)
                continue
            }
            let piece = UnsafeBufferPointer(rebasing: text[segment.start..<segment.end])
            encodeText(piece, atStart: segment.start == 0)
        }
    }

    /// Normalizes one stretch of text between raw added tokens, then splits out normalized
    /// added tokens and pre-tokenizes the rest.
    private func encodeText(_ piece: UnsafeBufferPointer<UInt8>, atStart: Bool) {
        guard let normalizer = tokenizer.normalizer else {
            encodeNormalized(piece, atStart: atStart)
            return
        }
        let normalized = normalizer.apply(piece)
        normalized.withUnsafeBufferPointer { encodeNormalized($0, atStart: atStart) }
    }

    private func encodeNormalized(_ text: UnsafeBufferPointer<UInt8>, atStart: Bool) {
        guard let base = text.baseAddress, text.count > 0 else { return }
        if tokenizer.normalizedAddedTokens.isEmpty {
            runner.run(base, text.count, atStart: atStart)
            return
        }
        for segment in tokenizer.normalizedAddedTokens.split(text) {
            if segment.id >= 0 {
                ids.append(segment.id)
            } else {
                runner.run(base + segment.start, segment.end - segment.start,
                           atStart: atStart && segment.start == 0)
            }
        }
    }

    /// HF `BPE::tokenize` for one pre-tokenized word.
    func encodeWord(_ p: UnsafePointer<UInt8>, _ n: Int) {
        if model.ignoreMerges, let id = model.wholeWordId(p, n) {
            ids.append(id)
            return
        }
        if n > maxCachedWordLength {
            // Without pre-tokenization (SentencePiece style) the whole text is one word; its
            // independent pieces are ordinary words that the cache serves.
            model.forEachIndependentPiece(p, n) { start, end in encodePiece(p + start, end - start) }
        } else {
            encodePiece(p, n)
        }
    }

    private func encodePiece(_ p: UnsafePointer<UInt8>, _ n: Int) {
        let cacheable = n <= maxCachedWordLength
        var hash: UInt64 = 0
        if cacheable {
            hash = ByteSequenceTable.hash(p, n)
            if let hit = cache.lookup(p, n, hash: hash) {
                ids.append(contentsOf: hit.baseAddress!, count: hit.count)
                return
            }
        }
        model.initialSymbols(p, n, into: symbols)
        model.merge(symbols, scratch: scratch)
        if symbols.count > 0 {
            ids.append(contentsOf: symbols.base, count: symbols.count)
        }
        if cacheable {
            cache.insert(p, n, hash: hash, ids: symbols.base, count: symbols.count)
        }
    }
}
