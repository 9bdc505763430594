/// Character classes that pre-tokenizers test, with the exact semantics HF `tokenizers` has.
///
/// The regexes (`\p{L}`, `\p{N}`, `\s`) run in Oniguruma, whose Unicode tables (in tokenizers
/// 0.23) stop at Unicode 16.0: a scalar assigned later is "unassigned" there, hence neither letter
/// nor number. Swift's own tables are newer, so regex classes count a scalar only if its Unicode
/// age is at most 16.0. `Digits` uses Rust's `char::is_numeric` (Nd, Nl, No, current Unicode) and
/// added tokens' `single_word` uses Rust regex `\w`; neither has the age cut. Normalizers use
/// Unicode 9.0 tables.
enum ScalarClass {
    static let letter: UInt8 = 1        // onig \p{L}
    static let number: UInt8 = 2        // onig \p{N}
    static let whitespace: UInt8 = 4    // \s = White_Space (same in onig, Rust and Swift)
    static let numeric: UInt8 = 8       // Rust char::is_numeric
    static let word: UInt8 = 16         // Rust regex \w
    /// Assigned after Unicode 9.0 (or unassigned): HF's normalizers (the Rust crate
    /// unicode-normalization-alignments) know no decomposition, class or composition for it.
    static let newerThanNormalizationTables: UInt8 = 32
    static let letterNumberSpace: UInt8 = letter | number | whitespace

    /// Newest Unicode version Oniguruma's tables know (tokenizers 0.23.x).
    static let regexUnicodeAge = (major: 16, minor: 0)
    /// Newest Unicode version HF's normalization tables know (tokenizers 0.23.x).
    static let normalizationUnicodeAge = (major: 9, minor: 0)

    static func compute(_ value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return 0 }
        let properties = scalar.properties
        var result: UInt8 = 0
        let isLetter: Bool, isNumber: Bool
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            isLetter = true; isNumber = false
        case .decimalNumber, .letterNumber, .otherNumber:
            isLetter = false; isNumber = true
        default:
            isLetter = false; isNumber = false
        }
        var knownToRegex = false
        var knownToNormalization = false
        if let age = properties.age {
            knownToRegex = (age.major, age.minor) <= regexUnicodeAge
            knownToNormalization = (age.major, age.minor) <= normalizationUnicodeAge
        }
        if !knownToNormalization { result |= newerThanNormalizationTables }
        if isLetter && knownToRegex { result |= letter }
        if isNumber && knownToRegex { result |= number }
        if properties.isWhitespace { result |= whitespace }
        if isNumber { result |= numeric }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation:
            result |= word
        default:
            if properties.isAlphabetic || properties.isJoinControl { result |= word }
        }
        return result
    }
}

/// Classes of every BMP scalar, computed once; scalars beyond the BMP are computed on demand
/// (they are rare in text, and the table would otherwise cost a megabyte and a slow start).
final class ScalarClassTable: @unchecked Sendable {
    static let shared = ScalarClassTable()

    let bmp: UnsafeMutablePointer<UInt8>

    private init() {
        bmp = .allocate(capacity: 0x10000)
        for v in 0..<0x10000 {
            bmp[v] = (0xD800...0xDFFF).contains(v) ? 0 : ScalarClass.compute(UInt32(v))
        }
    }

    @inline(__always) func classOf(_ value: UInt32) -> UInt8 {
        value < 0x10000 ? bmp[Int(value)] : ScalarClass.compute(value)
    }
}

/// Decodes the scalar starting at `i` of valid UTF-8 (all text here comes from Swift strings or
/// from our own transformations of them, and is only ever cut at scalar boundaries).
@inline(__always)
func decodeUTF8(_ p: UnsafePointer<UInt8>, _ i: Int) -> (value: UInt32, length: Int) {
    let b0 = UInt32(p[i])
    if b0 < 0x80 { return (b0, 1) }
    if b0 < 0xE0 { return (((b0 & 0x1F) << 6) | (UInt32(p[i + 1]) & 0x3F), 2) }
    if b0 < 0xF0 {
        return (((b0 & 0x0F) << 12) | ((UInt32(p[i + 1]) & 0x3F) << 6) | (UInt32(p[i + 2]) & 0x3F), 3)
    }
    return (((b0 & 0x07) << 18) | ((UInt32(p[i + 1]) & 0x3F) << 12)
            | ((UInt32(p[i + 2]) & 0x3F) << 6) | (UInt32(p[i + 3]) & 0x3F), 4)
}

/// Number of bytes of the UTF-8 sequence led by `b0`.
@inline(__always)
func utf8Length(leadByte b0: UInt8) -> Int {
    b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4
}

/// Appends the UTF-8 encoding of `value` to `out`.
func appendUTF8(_ value: UInt32, to out: inout [UInt8]) {
    if value < 0x80 {
        out.append(UInt8(value))
    } else if value < 0x800 {
        out.append(UInt8(0xC0 | (value >> 6))); out.append(UInt8(0x80 | (value & 0x3F)))
    } else if value < 0x10000 {
        out.append(UInt8(0xE0 | (value >> 12))); out.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (value & 0x3F)))
    } else {
        out.append(UInt8(0xF0 | (value >> 18))); out.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((value >> 6) & 0x3F))); out.append(UInt8(0x80 | (value & 0x3F)))
    }
}
