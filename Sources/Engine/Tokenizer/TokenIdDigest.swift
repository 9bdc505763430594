/// The fingerprint of a token sequence used in reports and fixtures: SHA-256 of the ids as
/// little-endian int32 (what `numpy.asarray(ids, "<i4").tobytes()` hashes).
public enum TokenIdDigest {
    public static func sha256Hex(_ ids: [Int32]) -> String {
        var hasher = SHA256Hasher()
        ids.withUnsafeBufferPointer { buf in
            var chunk = [UInt8](repeating: 0, count: 4096)
            var i = 0
            while i < buf.count {
                let n = min(1024, buf.count - i)
                for k in 0..<n {
                    let v = UInt32(bitPattern: buf[i + k])
                    chunk[4 * k] = UInt8(truncatingIfNeeded: v)
                    chunk[4 * k + 1] = UInt8(truncatingIfNeeded: v >> 8)
                    chunk[4 * k + 2] = UInt8(truncatingIfNeeded: v >> 16)
                    chunk[4 * k + 3] = UInt8(truncatingIfNeeded: v >> 24)
                }
                chunk.withUnsafeBufferPointer { hasher.update(UnsafeBufferPointer(rebasing: $0[0..<(4 * n)])) }
                i += n
            }
        }
        return hasher.finalize().map { hexByte($0) }.joined()
    }

    static func hexByte(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    /// FIPS 180-4 SHA-256 (Foundation on Linux has no CryptoKit).
    struct SHA256Hasher {
        private var state: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
        private var pending: [UInt8] = []
        private var length: UInt64 = 0

        private static let k: [UInt32] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]

        mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
            length &+= UInt64(bytes.count)
            var i = 0
            if !pending.isEmpty {
                while i < bytes.count && pending.count < 64 { pending.append(bytes[i]); i += 1 }
                if pending.count == 64 {
                    pending.withUnsafeBufferPointer { compress($0.baseAddress!) }
                    pending.removeAll(keepingCapacity: true)
                }
            }
            while i + 64 <= bytes.count {
                compress(bytes.baseAddress! + i)
                i += 64
            }
            while i < bytes.count { pending.append(bytes[i]); i += 1 }
        }

        mutating func finalize() -> [UInt8] {
            let bitLength = length &* 8
            var tail: [UInt8] = [0x80]
            while (pending.count + tail.count) % 64 != 56 { tail.append(0) }
            for s in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(s))) }
            let savedLength = length
            tail.withUnsafeBufferPointer { update($0) }
            length = savedLength
            var out: [UInt8] = []
            for word in state {
                out += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16),
                        UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
            }
            return out
        }

        @inline(__always) private static func rotr32(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    private mutating func compress(_ p: UnsafePointer<UInt8>) {
            var w = [UInt32](repeating: 0, count: 64)
            for t in 0..<16 {
                w[t] = UInt32(p[4 * t]) << 24 | UInt32(p[4 * t + 1]) << 16 | UInt32(p[4 * t + 2]) << 8 | UInt32(p[4 * t + 3])
            }
            for t in 16..<64 {
                let s0 = Self.rotr32(w[t - 15], 7) ^ Self.rotr32(w[t - 15], 18) ^ (w[t - 15] >> 3)
                let s1 = Self.rotr32(w[t - 2], 17) ^ Self.rotr32(w[t - 2], 19) ^ (w[t - 2] >> 10)
                w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
            }
            var a = state[0], b = state[1], c = state[2], d = state[3]
            var e = state[4], f = state[5], g = state[6], h = state[7]
            for t in 0..<64 {
                let s1 = Self.rotr32(e, 6) ^ Self.rotr32(e, 11) ^ Self.rotr32(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = h &+ s1 &+ ch &+ Self.k[t] &+ w[t]
                let s0 = Self.rotr32(a, 2) ^ Self.rotr32(a, 13) ^ Self.rotr32(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                h = g; g = f; f = e; e = d &+ t1
                d = c; c = b; b = a; a = t1 &+ t2
            }
            state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d
            state[4] &+= e; state[5] &+= f; state[6] &+= g; state[7] &+= h
        }
    }
}
