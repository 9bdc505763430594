/// A JSON value as Hugging Face's Python tools write it: standard JSON plus the `NaN`, `Infinity`
/// and `-Infinity` that Python's `json` module emits. Numbers keep their literal text, so a config
/// rewritten with a few keys changed keeps every other value exactly as it was (`10000.0` stays
/// `10000.0`).
enum HFJSON: Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([HFJSON])
    case object([String: HFJSON])

    static func number(_ value: Int) -> HFJSON { .number(String(value)) }

    /// A Double in Python's `repr` form (Swift's shortest round-trip text uses the same layout).
    static func number(_ value: Double) -> HFJSON {
        if value.isNaN { return .number("NaN") }
        if value.isInfinite { return .number(value < 0 ? "-Infinity" : "Infinity") }
        return .number("\(value)")
    }

    var doubleValue: Double? {
        guard case .number(let text) = self else { return nil }
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return Double(text)
        }
    }

    /// The value as an Int if it is an integral number in range (`4096` or `4096.0`).
    var intValue: Int? {
        guard case .number(let text) = self else { return nil }
        if let exact = Int(text) { return exact }
        guard let double = doubleValue, double.rounded() == double,
              double >= -0x1p63, double < 0x1p63 else { return nil }
        return Int(double)
    }
}

/// Parses HF-style JSON text; every read is bounds-checked by hand because the engine is built
/// with -Ounchecked.
struct HFJSONParser {
    struct Failure: Error { let message: String }

    private let bytes: [UInt8]
    private var index = 0
    private static let maxDepth = 512

    static func parse(_ bytes: [UInt8]) throws -> HFJSON {
        var parser = HFJSONParser(bytes: bytes)
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.failure("unexpected text after the JSON value") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func failure(_ message: String) -> Failure {
        // Report a line number: config files are edited by hand.
        var line = 1
        for i in 0..<min(index, bytes.count) where bytes[i] == UInt8(ascii: "\n") { line += 1 }
        return Failure(message: "\(message) (line \(line))")
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func consume(_ literal: String) -> Bool {
        let utf8 = Array(literal.utf8)
        guard bytes.count - index >= utf8.count, Array(bytes[index..<(index + utf8.count)]) == utf8 else { return false }
        index += utf8.count
        return true
    }

    private mutating func value(depth: Int) throws -> HFJSON {
        guard depth < Self.maxDepth else { throw failure("JSON nested too deeply") }
        skipWhitespace()
        guard let byte = current else { throw failure("unexpected end of JSON") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): if consume("true") { return .bool(true) }
        case UInt8(ascii: "f"): if consume("false") { return .bool(false) }
        case UInt8(ascii: "n"): if consume("null") { return .null }
        case UInt8(ascii: "N"): if consume("NaN") { return .number("NaN") }
        case UInt8(ascii: "I"): if consume("Infinity") { return .number("Infinity") }
        case UInt8(ascii: "-"): if consume("-Infinity") { return .number("-Infinity") }; return try number()
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: break
        }
        throw failure("invalid JSON value")
    }

    private mutating func object(depth: Int) throws -> HFJSON {
        index += 1  // {
        var members: [String: HFJSON] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure("expected a quoted key in JSON object") }
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("expected ':' after key \"\(key)\"") }
            index += 1
            members[key] = try value(depth: depth + 1)  // a repeated key keeps the last value, as Python does
            skipWhitespace()
            guard let byte = current else { throw failure("unterminated JSON object") }
            index += 1
            if byte == UInt8(ascii: "}") { return .object(members) }
            guard byte == UInt8(ascii: ",") else { throw failure("expected ',' or '}' in JSON object") }
        }
    }

    private mutating func array(depth: Int) throws -> HFJSON {
        index += 1  // [
        var elements: [HFJSON] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            elements.append(try value(depth: depth + 1))
            skipWhitespace()
            guard let byte = current else { throw failure("unterminated JSON array") }
            index += 1
            if byte == UInt8(ascii: "]") { return .array(elements) }
            guard byte == UInt8(ascii: ",") else { throw failure("expected ',' or ']' in JSON array") }
        }
    }

    /// A number per the JSON grammar, kept as its literal text.
    private mutating func number() throws -> HFJSON {
        let start = index
        func digits(_ parser: inout HFJSONParser) -> Int {
            let from = parser.index
            while let byte = parser.current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { parser.index += 1 }
            return parser.index - from
        }
        if current == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw failure("invalid JSON number") }
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else {
            throw failure("invalid JSON number (leading zero)")
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw failure("invalid JSON number (no digits after '.')") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw failure("invalid JSON number (empty exponent)") }
        }
        return .number(String(decoding: bytes[start..<index], as: UTF8.self))
    }

    private mutating func string() throws -> String {
        index += 1  // opening quote
        var utf8: [UInt8] = []
        while true {
            guard let byte = current else { throw failure("unterminated JSON string") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    throw failure("JSON string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                guard let escape = current else { throw failure("unterminated JSON string") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"): utf8.append(contentsOf: try unicodeEscape())
                default: throw failure("invalid escape in JSON string")
                }
            case 0..<0x20:
                throw failure("control character in JSON string")
            default:
                utf8.append(byte)
            }
        }
    }

    /// The UTF-8 of a `\uXXXX` escape (the `\u` already read), joining surrogate pairs; a lone
    /// surrogate becomes U+FFFD.
    private mutating func unicodeEscape() throws -> [UInt8] {
        let first = try hex4()
        var scalarValue = first
        if (0xD800..<0xDC00).contains(first), bytes.count - index >= 6,
           bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
            let saved = index
            index += 2
            let second = try hex4()
            if (0xDC00..<0xE000).contains(second) {
                scalarValue = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            } else {
                index = saved
            }
        }
        let scalar = Unicode.Scalar(scalarValue) ?? "\u{FFFD}"
        return Array(String(Character(scalar)).utf8)
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - index >= 4 else { throw failure("truncated \\u escape in JSON string") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw failure("invalid \\u escape in JSON string")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
