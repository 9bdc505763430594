/// Writes JSON exactly as Python's `json.dumps(value, indent=2, sort_keys=True)` does (the form
/// `transformers` saves config.json in): two-space indent, keys in code-point order, non-ASCII
/// escaped as `\uXXXX`, NaN/Infinity as Python spells them.
enum HFJSONWriter {
    static func prettyText(_ value: HFJSON) -> String {
        var out = ""
        write(value, indent: 0, into: &out)
        return out
    }

    private static func write(_ value: HFJSON, indent: Int, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): writeString(text, into: &out)
        case .array(let elements):
            guard !elements.isEmpty else { out += "[]"; return }
            out += "[\n"
            for (i, element) in elements.enumerated() {
                out += String(repeating: " ", count: 2 * (indent + 1))
                write(element, indent: indent + 1, into: &out)
                out += i + 1 < elements.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: 2 * indent) + "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{\n"
            // UTF-8 byte order equals code-point order, which is Python's string order.
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (i, key) in keys.enumerated() {
                out += String(repeating: " ", count: 2 * (indent + 1))
                writeString(key, into: &out)
                out += ": "
                if let member = members[key] { write(member, indent: indent + 1, into: &out) }
                out += i + 1 < keys.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: 2 * indent) + "}"
        }
    }

    /// Python's ensure_ascii escaping: printable ASCII as is, everything else as \uXXXX
    /// (lowercase hex, UTF-16 surrogate pairs above U+FFFF).
    private static func writeString(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case " "..."~": out.unicodeScalars.append(scalar)
            default:
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            }
        }
        out += "\""
    }
}
