import Foundation

/// Reads an HF tokenizer.json into a `TokenizerSpec`. Anything it does not implement exactly is
/// an `EngineError.unsupported` naming the component; malformed content is `corruptFile`.
enum TokenizerJSONReader {
    static func read(path: String) throws -> TokenizerSpec {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw EngineError.io(path: path, reason: "cannot read tokenizer.json: \(error.localizedDescription)")
        }
        return try parse(data, source: path)
    }

    static func parse(_ data: Data, source: String) throws -> TokenizerSpec {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw EngineError.corruptFile(path: source, reason: "not valid JSON: \(error.localizedDescription)")
        }
        guard let object = root as? [String: Any] else {
            throw EngineError.corruptFile(path: source, reason: "tokenizer.json is not a JSON object")
        }
        let json = JSONFields(object, source: source, context: "tokenizer.json")
        guard let modelFields = try json.object("model") else {
            throw EngineError.corruptFile(path: source, reason: "tokenizer.json has no model")
        }
        let model = try readModel(modelFields)
        let addedTokens = try (json.array("added_tokens") ?? []).enumerated().map { index, value in
            try readAddedToken(try JSONFields.object(value, source: source, context: "added_tokens[\(index)]"))
        }
        return TokenizerSpec(
            model: model,
            normalizer: try json.object("normalizer").map(readNormalizer),
            preTokenizer: try json.object("pre_tokenizer").map(readPreTokenizer),
            postProcessor: try json.object("post_processor").map(readPostProcessor),
            decoder: try json.object("decoder").map(readDecoder),
            addedTokens: addedTokens,
            source: source)
        // `truncation` and `padding` are ignored, as transformers ignores them unless asked.
    }

    // MARK: model

    private static func readModel(_ m: JSONFields) throws -> BPESpec {
        let type = try m.optionalString("type") ?? (m.has("merges") ? "BPE" : "unknown")
        guard type == "BPE" else { throw EngineError.unsupported("\(m.source): tokenizer model \(type)") }
        if let dropout = try m.optionalDouble("dropout"), dropout > 0 {
            throw EngineError.unsupported("\(m.source): BPE dropout \(dropout) (tokenization would be random)")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = try m.optionalString(key), !value.isEmpty {
                throw EngineError.unsupported("\(m.source): BPE \(key) \"\(value)\"")
            }
        }
        guard let vocabObject = m.raw["vocab"] as? [String: Any] else {
            throw EngineError.corruptFile(path: m.source, reason: "model.vocab is missing or not an object")
        }
        var vocab: [String: Int32] = [:]
        vocab.reserveCapacity(vocabObject.count)
        for (token, value) in vocabObject {
            guard let id = JSONFields.intValue(value), id >= 0, id < Int(Int32.max) else {
                throw EngineError.corruptFile(path: m.source, reason: "model.vocab[\(token)] is not a valid id")
            }
            vocab[token] = Int32(id)
        }
        guard let mergeValues = m.raw["merges"] as? [Any] else {
            throw EngineError.corruptFile(path: m.source, reason: "model.merges is missing or not an array")
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeValues.count)
        for (rank, value) in mergeValues.enumerated() {
            if let line = value as? String {
                merges.append(try splitMergeLine(line, rank: rank, vocab: vocab, source: m.source))
            } else if let pair = value as? [Any], pair.count == 2, let a = pair[0] as? String, let b = pair[1] as? String {
                merges.append((a, b))
            } else {
                throw EngineError.corruptFile(path: m.source, reason: "model.merges[\(rank)] is neither \"a b\" nor [a, b]")
            }
        }
        return BPESpec(vocab: vocab, merges: merges, unkToken: try m.optionalString("unk_token"),
                       fuseUnk: try m.bool("fuse_unk", default: false),
                       byteFallback: try m.bool("byte_fallback", default: false),
                       ignoreMerges: try m.bool("ignore_merges", default: false))
    }

    /// A legacy "a b" merge. With more than one space, the single split whose halves and their
    /// concatenation are all in the vocabulary (as tokenizers does).
    private static func splitMergeLine(_ line: String, rank: Int, vocab: [String: Int32],
                                       source: String) throws -> (String, String) {
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        if parts.count == 2 { return (String(parts[0]), String(parts[1])) }
        var found: (String, String)?
        if parts.count > 2 {
            for cut in 1..<parts.count {
                let a = parts[..<cut].joined(separator: " "), b = parts[cut...].joined(separator: " ")
                guard vocab[a] != nil, vocab[b] != nil, vocab[a + b] != nil else { continue }
                if found != nil {
                    throw EngineError.corruptFile(path: source, reason: "merge \(rank) \"\(line)\" is ambiguous")
                }
                found = (a, b)
            }
        }
        guard let found else {
            throw EngineError.corruptFile(path: source, reason: "merge \(rank) \"\(line)\" is not two tokens")
        }
        return found
    }

    private static func readAddedToken(_ t: JSONFields) throws -> AddedTokenSpec {
        guard let id = try t.optionalInt("id"), id >= 0, id < Int(Int32.max) else {
            throw EngineError.corruptFile(path: t.source, reason: "\(t.context) has no valid id")
        }
        return AddedTokenSpec(id: Int32(id), content: try t.string("content"),
                              singleWord: try t.bool("single_word", default: false),
                              lstrip: try t.bool("lstrip", default: false),
                              rstrip: try t.bool("rstrip", default: false),
                              normalized: try t.bool("normalized", default: true),
                              special: try t.bool("special", default: false))
    }

    // MARK: components

    private static func readNormalizer(_ n: JSONFields) throws -> NormalizerSpec {
        let type = try n.string("type")
        switch type {
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "NFKC": return .nfkc
        case "NFKD": return .nfkd
        case "Prepend": return .prepend(try n.string("prepend"))
        case "Replace":
            return .replace(pattern: try stringPattern(n, component: "Replace normalizer"),
                            content: try n.string("content"))
        case "Strip":
            return .strip(left: try n.bool("strip_left", default: true), right: try n.bool("strip_right", default: true))
        case "Sequence":
            return .sequence(try n.objects("normalizers").map(readNormalizer))
        default:
            throw EngineError.unsupported("\(n.source): normalizer \(type)")
        }
    }

    private static func readPreTokenizer(_ p: JSONFields) throws -> PreTokenizerSpec {
        let type = try p.string("type")
        switch type {
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: try p.bool("add_prefix_space", default: true),
                              useRegex: try p.bool("use_regex", default: true))
        case "Split":
            guard let patternFields = try p.object("pattern") else {
                throw EngineError.corruptFile(path: p.source, reason: "Split pre-tokenizer has no pattern")
            }
            let pattern: SplitPatternSpec
            if let s = try patternFields.optionalString("String") {
                pattern = .string(s)
            } else if let r = try patternFields.optionalString("Regex") {
                pattern = .regex(r)
            } else {
                throw EngineError.corruptFile(path: p.source, reason: "Split pattern is neither String nor Regex")
            }
            let behaviorName = try p.string("behavior")
            guard let behavior = SplitBehavior(rawValue: behaviorName) else {
                throw EngineError.unsupported("\(p.source): Split behavior \(behaviorName)")
            }
            return .split(pattern: pattern, behavior: behavior, invert: try p.bool("invert", default: false))
        case "Digits":
            return .digits(individual: try p.bool("individual_digits", default: false))
        case "Metaspace":
            return .metaspace(replacement: try p.optionalString("replacement") ?? "\u{2581}",
                              prependScheme: try prependScheme(p),
                              split: try p.bool("split", default: true))
        case "Sequence":
            return .sequence(try p.objects("pretokenizers").map(readPreTokenizer))
        default:
            throw EngineError.unsupported("\(p.source): pre-tokenizer \(type)")
        }
    }

    private static func readDecoder(_ d: JSONFields) throws -> DecoderSpec {
        let type = try d.string("type")
        switch type {
        case "ByteLevel": return .byteLevel
        case "ByteFallback": return .byteFallback
        case "Fuse": return .fuse
        case "Metaspace":
            return .metaspace(replacement: try d.optionalString("replacement") ?? "\u{2581}",
                              prependScheme: try prependScheme(d))
        case "Replace":
            return .replace(pattern: try stringPattern(d, component: "Replace decoder"), content: try d.string("content"))
        case "Strip":
            let content = try d.string("content")
            guard content.unicodeScalars.count == 1 else {
                throw EngineError.unsupported("\(d.source): Strip decoder content '\(content)' is not one character")
            }
            return .strip(content: content, start: try d.int("start", default: 0), stop: try d.int("stop", default: 0))
        case "Sequence":
            return .sequence(try d.objects("decoders").map(readDecoder))
        default:
            throw EngineError.unsupported("\(d.source): decoder \(type)")
        }
    }

    private static func readPostProcessor(_ p: JSONFields) throws -> PostProcessorSpec {
        let type = try p.string("type")
        switch type {
        case "ByteLevel":
            return .byteLevel
        case "Sequence":
            return .sequence(try p.objects("processors").map(readPostProcessor))
        case "TemplateProcessing":
            guard let single = try p.array("single") else {
                throw EngineError.corruptFile(path: p.source, reason: "TemplateProcessing has no single template")
            }
            var pieces: [PostProcessorSpec.TemplatePiece] = []
            for (i, value) in single.enumerated() {
                let piece = try JSONFields.object(value, source: p.source, context: "single[\(i)]")
                if let special = try piece.object("SpecialToken") {
                    pieces.append(.special(try special.string("id")))
                } else if let sequence = try piece.object("Sequence") {
                    guard try sequence.string("id") == "A" else {
                        throw EngineError.unsupported("\(p.source): single template uses sequence \(try sequence.string("id"))")
                    }
                    pieces.append(.sequence)
                } else {
                    throw EngineError.corruptFile(path: p.source, reason: "template piece \(i) is neither SpecialToken nor Sequence")
                }
            }
            var specials: [String: [Int32]] = [:]
            if let tokens = try p.object("special_tokens") {
                for (name, value) in tokens.raw {
                    let token = try JSONFields.object(value, source: p.source, context: "special_tokens.\(name)")
                    guard let ids = try token.array("ids") else {
                        throw EngineError.corruptFile(path: p.source, reason: "special token \(name) has no ids")
                    }
                    specials[name] = try ids.map { v in
                        guard let id = JSONFields.intValue(v), id >= 0, id < Int(Int32.max) else {
                            throw EngineError.corruptFile(path: p.source, reason: "special token \(name) has an invalid id")
                        }
                        return Int32(id)
                    }
                }
            }
            return .template(single: pieces, specialTokens: specials)
        case "RobertaProcessing", "BertProcessing":
            // Single sequence: cls $A sep.
            func token(_ key: String) throws -> (String, Int32) {
                guard let pair = try p.array(key), pair.count == 2, let name = pair[0] as? String,
                      let id = JSONFields.intValue(pair[1]), id >= 0, id < Int(Int32.max) else {
                    throw EngineError.corruptFile(path: p.source, reason: "\(type) \(key) is not [token, id]")
                }
                return (name, Int32(id))
            }
            let cls = try token("cls"), sep = try token("sep")
            return .template(single: [.special(cls.0), .sequence, .special(sep.0)],
                             specialTokens: [cls.0: [cls.1], sep.0: [sep.1]])
        default:
            throw EngineError.unsupported("\(p.source): post-processor \(type)")
        }
    }

    private static func prependScheme(_ f: JSONFields) throws -> PrependScheme {
        if let scheme = try f.optionalString("prepend_scheme") {
            guard let value = PrependScheme(rawValue: scheme) else {
                throw EngineError.unsupported("\(f.source): Metaspace prepend_scheme \(scheme)")
            }
            return value
        }
        // Files older than prepend_scheme say add_prefix_space.
        return try f.bool("add_prefix_space", default: true) ? .always : .never
    }

    private static func stringPattern(_ f: JSONFields, component: String) throws -> String {
        guard let pattern = try f.object("pattern") else {
            throw EngineError.corruptFile(path: f.source, reason: "\(component) has no pattern")
        }
        if let s = try pattern.optionalString("String") { return s }
        if let r = try pattern.optionalString("Regex") {
            throw EngineError.unsupported("\(f.source): \(component) with regex pattern \(r)")
        }
        throw EngineError.corruptFile(path: f.source, reason: "\(component) pattern is neither String nor Regex")
    }
}

/// Typed access to a JSON object's fields, with errors that name the file and the field.
struct JSONFields {
    let raw: [String: Any]
    let source: String
    let context: String

    init(_ raw: [String: Any], source: String, context: String) {
        self.raw = raw
        self.source = source
        self.context = context
    }

    static func object(_ value: Any, source: String, context: String) throws -> JSONFields {
        guard let dict = value as? [String: Any] else {
            throw EngineError.corruptFile(path: source, reason: "\(context) is not an object")
        }
        return JSONFields(dict, source: source, context: context)
    }

    /// JSON true/false. (Foundation hands numbers and booleans over as NSNumber, and
    /// `NSNumber(1) is Bool` holds on Linux, so the NSNumber's own type code decides.)
    static func isBoolean(_ value: Any) -> Bool {
        if let n = value as? NSNumber { return String(cString: n.objCType) == "c" }
        return value is Bool
    }

    static func intValue(_ value: Any) -> Int? {
        guard !isBoolean(value), let n = value as? NSNumber else { return nil }
        let d = n.doubleValue
        guard d == d.rounded(), abs(d) < 9e15 else { return nil }
        return n.intValue
    }

    func has(_ key: String) -> Bool { raw[key] != nil }

    private func present(_ key: String) -> Any? {
        guard let v = raw[key], !(v is NSNull) else { return nil }
        return v
    }

    private func wrong(_ key: String, _ expected: String) -> EngineError {
        .corruptFile(path: source, reason: "\(context).\(key) is not \(expected)")
    }

    func string(_ key: String) throws -> String {
        guard let v = present(key) else { throw EngineError.corruptFile(path: source, reason: "\(context) has no \(key)") }
        guard let s = v as? String else { throw wrong(key, "a string") }
        return s
    }

    func optionalString(_ key: String) throws -> String? {
        guard let v = present(key) else { return nil }
        guard let s = v as? String else { throw wrong(key, "a string") }
        return s
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let v = present(key) else { return value }
        if Self.isBoolean(v), let b = v as? Bool { return b }
        throw wrong(key, "true or false")
    }

    func int(_ key: String, default value: Int) throws -> Int {
        guard let v = present(key) else { return value }
        guard let i = Self.intValue(v) else { throw wrong(key, "an integer") }
        return i
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let v = present(key) else { return nil }
        guard let i = Self.intValue(v) else { throw wrong(key, "an integer") }
        return i
    }

    func optionalDouble(_ key: String) throws -> Double? {
        guard let v = present(key) else { return nil }
        if !Self.isBoolean(v), let n = v as? NSNumber { return n.doubleValue }
        throw wrong(key, "a number")
    }

    func object(_ key: String) throws -> JSONFields? {
        guard let v = present(key) else { return nil }
        return try Self.object(v, source: source, context: "\(context).\(key)")
    }

    func array(_ key: String) throws -> [Any]? {
        guard let v = present(key) else { return nil }
        guard let a = v as? [Any] else { throw wrong(key, "an array") }
        return a
    }

    func objects(_ key: String) throws -> [JSONFields] {
        try (array(key) ?? []).enumerated().map { i, v in
            try Self.object(v, source: source, context: "\(context).\(key)[\(i)]")
        }
    }
}
