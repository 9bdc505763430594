/// GPT-2's reversible byte → printable character map (`bytes_to_unicode`): printable Latin-1
/// bytes stand for themselves, the other 68 bytes take U+0100 onwards in byte order.
enum ByteLevelAlphabet {
    /// `scalarOfByte[b]` is the character that spells byte `b`.
    static let scalarOfByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// The inverse map: character → byte.
    static let byteOfScalar: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (b, s) in scalarOfByte.enumerated() { map[s] = UInt8(b) }
        return map
    }()

    /// The raw bytes a byte-level token spells, or nil if it uses a character outside the alphabet.
    static func bytes(ofToken token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            guard let b = byteOfScalar[scalar.value] else { return nil }
            out.append(b)
        }
        return out
    }

    /// The byte-level spelling of raw bytes.
    static func spelling(of bytes: some Sequence<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes {
            if let scalar = Unicode.Scalar(scalarOfByte[Int(b)]) { s.append(scalar) }
        }
        return String(s)
    }
}
