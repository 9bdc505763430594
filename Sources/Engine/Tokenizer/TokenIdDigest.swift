/// The fingerprint of a token sequence used in reports and fixtures: SHA-256 of the ids as
/// little-endian int32 (what `numpy.asarray(ids, "<i4").tobytes()` hashes).
public enum TokenIdDigest {
    public static func sha256Hex(_ ids: [Int32]) -> String {
        var hasher = SHA256()
        var chunk = [Int32](repeating: 0, count: 1024)
        var i = 0
        while i < ids.count {
            let n = min(chunk.count, ids.count - i)
            for k in 0..<n { chunk[k] = ids[i + k].littleEndian }
            chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<(4 * n)])) }
            i += n
        }
        return hasher.finalizeHex()
    }

    static func hexByte(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }
}
