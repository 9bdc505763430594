import Foundation

/// Writes a `TokenizerSpec` as an HF tokenizer.json (used to export a GGUF model's vocabulary
/// next to a pruned safetensors model). Keys come out in HF's order, the vocabulary by id.
enum TokenizerJSONWriter {
    static func data(_ spec: TokenizerSpec) -> Data {
        var out = "{\n"
        out += "  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n"
        out += "  \"added_tokens\": [\n"
        let added = spec.addedTokens.sorted { $0.id < $1.id }
        out += added.map { t in
            "    {\"id\": \(t.id), \"content\": \(quote(t.content)), \"single_word\": \(t.singleWord), "
                + "\"lstrip\": \(t.lstrip), \"rstrip\": \(t.rstrip), \"normalized\": \(t.normalized), "
                + "\"special\": \(t.special)}"
        }.joined(separator: ",\n")
        out += "\n  ],\n"
        out += "  \"normalizer\": \(spec.normalizer.map(normalizer) ?? "null"),\n"
        out += "  \"pre_tokenizer\": \(spec.preTokenizer.map(preTokenizer) ?? "null"),\n"
        out += "  \"post_processor\": \(spec.postProcessor.map(postProcessor) ?? "null"),\n"
        out += "  \"decoder\": \(spec.decoder.map(decoder) ?? "null"),\n"
        out += "  \"model\": {\n"
        let m = spec.model
        out += "    \"type\": \"BPE\",\n    \"dropout\": null,\n"
        out += "    \"unk_token\": \(m.unkToken.map(quote) ?? "null"),\n"
        out += "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n"
        out += "    \"fuse_unk\": \(m.fuseUnk),\n    \"byte_fallback\": \(m.byteFallback),\n"
        out += "    \"ignore_merges\": \(m.ignoreMerges),\n"
        out += "    \"vocab\": {\n"
        out += m.vocab.sorted { $0.value < $1.value }.map { "      \(quote($0.key)): \($0.value)" }
            .joined(separator: ",\n")
        out += "\n    },\n"
        // "a b" strings are ambiguous when a token contains a space; pairs are not (tokenizers ≥ 0.20).
        let asPairs = m.merges.contains { $0.0.contains(" ") || $0.1.contains(" ") }
        out += "    \"merges\": [\n"
        out += m.merges.map { a, b in
            asPairs ? "      [\(quote(a)), \(quote(b))]" : "      \(quote(a + " " + b))"
        }.joined(separator: ",\n")
        out += "\n    ]\n  }\n}\n"
        return Data(out.utf8)
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u00" + TokenIdDigest.hexByte(UInt8(scalar.value))
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func pattern(_ p: SplitPatternSpec) -> String {
        switch p {
        case .string(let s): return "{\"String\": \(quote(s))}"
        case .regex(let r): return "{\"Regex\": \(quote(r))}"
        }
    }

    private static func normalizer(_ n: NormalizerSpec) -> String {
        switch n {
        case .nfc: return "{\"type\": \"NFC\"}"
        case .nfd: return "{\"type\": \"NFD\"}"
        case .nfkc: return "{\"type\": \"NFKC\"}"
        case .nfkd: return "{\"type\": \"NFKD\"}"
        case .prepend(let s): return "{\"type\": \"Prepend\", \"prepend\": \(quote(s))}"
        case .replace(let p, let c):
            return "{\"type\": \"Replace\", \"pattern\": \(pattern(.string(p))), \"content\": \(quote(c))}"
        case .strip(let l, let r): return "{\"type\": \"Strip\", \"strip_left\": \(l), \"strip_right\": \(r)}"
        case .sequence(let inner):
            return "{\"type\": \"Sequence\", \"normalizers\": [\(inner.map(normalizer).joined(separator: ", "))]}"
        }
    }

    private static func preTokenizer(_ p: PreTokenizerSpec) -> String {
        switch p {
        case .byteLevel(let prefix, let regex):
            return "{\"type\": \"ByteLevel\", \"add_prefix_space\": \(prefix), \"trim_offsets\": true, \"use_regex\": \(regex)}"
        case .split(let pat, let behavior, let invert):
            return "{\"type\": \"Split\", \"pattern\": \(pattern(pat)), \"behavior\": \"\(behavior.rawValue)\", \"invert\": \(invert)}"
        case .digits(let individual):
            return "{\"type\": \"Digits\", \"individual_digits\": \(individual)}"
        case .metaspace(let r, let scheme, let split):
            return "{\"type\": \"Metaspace\", \"replacement\": \(quote(r)), \"prepend_scheme\": \"\(scheme.rawValue)\", \"split\": \(split)}"
        case .sequence(let inner):
            return "{\"type\": \"Sequence\", \"pretokenizers\": [\(inner.map(preTokenizer).joined(separator: ", "))]}"
        }
    }

    private static func decoder(_ d: DecoderSpec) -> String {
        switch d {
        case .byteLevel: return "{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true}"
        case .byteFallback: return "{\"type\": \"ByteFallback\"}"
        case .fuse: return "{\"type\": \"Fuse\"}"
        case .metaspace(let r, let scheme):
            return "{\"type\": \"Metaspace\", \"replacement\": \(quote(r)), \"prepend_scheme\": \"\(scheme.rawValue)\", \"split\": true}"
        case .replace(let p, let c):
            return "{\"type\": \"Replace\", \"pattern\": \(pattern(.string(p))), \"content\": \(quote(c))}"
        case .strip(let c, let start, let stop):
            return "{\"type\": \"Strip\", \"content\": \(quote(c)), \"start\": \(start), \"stop\": \(stop)}"
        case .sequence(let inner):
            return "{\"type\": \"Sequence\", \"decoders\": [\(inner.map(decoder).joined(separator: ", "))]}"
        }
    }

    private static func postProcessor(_ p: PostProcessorSpec) -> String {
        switch p {
        case .byteLevel:
            return "{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": false, \"use_regex\": true}"
        case .sequence(let inner):
            return "{\"type\": \"Sequence\", \"processors\": [\(inner.map(postProcessor).joined(separator: ", "))]}"
        case .template(let single, let specials):
            func piece(_ p: PostProcessorSpec.TemplatePiece, _ typeId: Int) -> String {
                switch p {
                case .sequence: return "{\"Sequence\": {\"id\": \"A\", \"type_id\": \(typeId)}}"
                case .special(let name): return "{\"SpecialToken\": {\"id\": \(quote(name)), \"type_id\": \(typeId)}}"
                }
            }
            // The pair template repeats the single one for the second sequence, as HF writes it.
            let singleJSON = single.map { piece($0, 0) }.joined(separator: ", ")
            let pairSecond = single.map { p -> String in
                if case .sequence = p { return "{\"Sequence\": {\"id\": \"B\", \"type_id\": 1}}" }
                return piece(p, 1)
            }.joined(separator: ", ")
            let specialJSON = specials.sorted { $0.key < $1.key }.map { name, ids in
                "\(quote(name)): {\"id\": \(quote(name)), \"ids\": [\(ids.map(String.init).joined(separator: ", "))], \"tokens\": [\(quote(name))]}"
            }.joined(separator: ", ")
            return "{\"type\": \"TemplateProcessing\", \"single\": [\(singleJSON)], \"pair\": [\(singleJSON), \(pairSecond)], \"special_tokens\": {\(specialJSON)}}"
        }
    }
}
