/// Conversion of ggml tensor data to fp32, bit-for-bit as ggml's `dequantize_row_*`
/// (ggml-quants.c) computes it: same formulas, same order of float operations, no FMA.
///
/// Callers pass a whole number of blocks (`count` a multiple of the type's block size, source
/// holding `count / blockSize * blockBytes` bytes); `GGUFFile` validates this at open.
/// Source data need not be aligned: every load is unaligned.
public enum Dequantize {
    /// Converts `count` elements of `type` at `src` into `dst`.
    public static func run(_ type: StorageType, from src: UnsafeRawPointer, count: Int,
                           into dst: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32: dst.update(from: src.assumingMemoryBound(to: Float.self), count: count)
        case .f16: f16(src, count, dst)
        case .bf16: bf16(src, count, dst)
        case .q8_0: q8_0(src, count / 32, dst)
        case .q4_0: q4_0(src, count / 32, dst)
        case .q4_1: q4_1(src, count / 32, dst)
        case .q4_K: q4_K(src, count / 256, dst)
        case .q6_K: q6_K(src, count / 256, dst)
        }
    }

    /// Elements per block and bytes per block of `type`.
    public static func layout(of type: StorageType) -> (blockSize: Int, blockBytes: Int) {
        switch type {
        case .f32: return (1, 4)
        case .f16, .bf16: return (1, 2)
        case .q8_0: return (32, 34)
        case .q4_0: return (32, 18)
        case .q4_1: return (32, 20)
        case .q4_K: return (256, 144)
        case .q6_K: return (256, 210)
        }
    }

    @inline(__always)
    static func u16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    static func f16(_ src: UnsafeRawPointer, _ count: Int, _ y: UnsafeMutablePointer<Float>) {
        for i in 0..<count { y[i] = halfToFloat(u16(src, 2 * i)) }
    }

    static func bf16(_ src: UnsafeRawPointer, _ count: Int, _ y: UnsafeMutablePointer<Float>) {
        for i in 0..<count { y[i] = Float(bitPattern: UInt32(u16(src, 2 * i)) << 16) }
    }

    /// block_q8_0 { half d; int8 qs[32] }: y = qs * d
    static func q8_0(_ src: UnsafeRawPointer, _ blocks: Int, _ y: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 34
            let d = halfToFloat(u16(block, 0))
            let qs = (block + 2).assumingMemoryBound(to: Int8.self)
            let out = y + b * 32
            for j in 0..<32 { out[j] = Float(qs[j]) * d }
        }
    }

    /// block_q4_0 { half d; u8 qs[16] }: y[j] = (lo(qs[j]) - 8) * d, y[j+16] = (hi(qs[j]) - 8) * d
    static func q4_0(_ src: UnsafeRawPointer, _ blocks: Int, _ y: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 18
            let d = halfToFloat(u16(block, 0))
            let qs = (block + 2).assumingMemoryBound(to: UInt8.self)
            let out = y + b * 32
            for j in 0..<16 {
                out[j] = Float(Int32(qs[j] & 0x0F) - 8) * d
                out[j + 16] = Float(Int32(qs[j] >> 4) - 8) * d
            }
        }
    }

    /// block_q4_1 { half d; half m; u8 qs[16] }: y[j] = lo(qs[j]) * d + m, y[j+16] = hi(qs[j]) * d + m
    static func q4_1(_ src: UnsafeRawPointer, _ blocks: Int, _ y: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 20
            let d = halfToFloat(u16(block, 0))
            let m = halfToFloat(u16(block, 2))
            let qs = (block + 4).assumingMemoryBound(to: UInt8.self)
            let out = y + b * 32
            for j in 0..<16 {
                out[j] = Float(qs[j] & 0x0F) * d + m
                out[j + 16] = Float(qs[j] >> 4) * d + m
            }
        }
    }

    /// block_q4_K { half d; half dmin; u8 scales[12]; u8 qs[128] }: 8 sub-blocks of 32 with 6-bit
    /// scale sc and min m each: y = (d * sc) * q - (dmin * m).
    static func q4_K(_ src: UnsafeRawPointer, _ blocks: Int, _ y: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 144
            let d = halfToFloat(u16(block, 0))
            let dmin = halfToFloat(u16(block, 2))
            let scales = (block + 4).assumingMemoryBound(to: UInt8.self)
            var q = (block + 16).assumingMemoryBound(to: UInt8.self)
            var out = y + b * 256
            for pair in 0..<4 {
                let (sc1, m1) = scaleMinK4(2 * pair, scales)
                let (sc2, m2) = scaleMinK4(2 * pair + 1, scales)
                let d1 = d * Float(sc1), min1 = dmin * Float(m1)
                let d2 = d * Float(sc2), min2 = dmin * Float(m2)
                for l in 0..<32 { out[l] = d1 * Float(q[l] & 0x0F) - min1 }
                for l in 0..<32 { out[l + 32] = d2 * Float(q[l] >> 4) - min2 }
                q += 32
                out += 64
            }
        }
    }

    /// ggml's get_scale_min_k4: 8 six-bit scales and 8 six-bit mins packed in 12 bytes.
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ q: UnsafePointer<UInt8>) -> (UInt8, UInt8) {
        if j < 4 {
            return (q[j] & 63, q[j + 4] & 63)
        }
        return ((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
    }

    /// block_q6_K { u8 ql[128]; u8 qh[64]; int8 scales[16]; half d }: 6-bit q (4 low bits in ql,
    /// 2 high bits in qh) minus 32, 16 sub-blocks of 16 with an int8 scale: y = (d * sc) * q.
    static func q6_K(_ src: UnsafeRawPointer, _ blocks: Int, _ y: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 210
            let d = halfToFloat(u16(block, 208))
            var ql = block.assumingMemoryBound(to: UInt8.self)
            var qh = (block + 128).assumingMemoryBound(to: UInt8.self)
            var sc = (block + 192).assumingMemoryBound(to: Int8.self)
            var out = y + b * 256
            for _ in 0..<2 {
                for l in 0..<32 {
                    let s = l / 16
                    let q1 = Int32((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32
                    let q2 = Int32((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32
                    let q3 = Int32((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32
                    let q4 = Int32((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32
                    out[l] = d * Float(sc[s]) * Float(q1)
                    out[l + 32] = d * Float(sc[s + 2]) * Float(q2)
                    out[l + 64] = d * Float(sc[s + 4]) * Float(q3)
                    out[l + 96] = d * Float(sc[s + 6]) * Float(q4)
                }
                out += 128
                ql += 64
                qh += 32
                sc += 8
            }
        }
    }

    /// IEEE half → float, exact for every input (normals, subnormals, ±0, ±inf, NaN payloads).
    /// Bit arithmetic rather than `Float(Float16)`, which compiles to a library call on x86_64.
    @inline(__always)
    public static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x03FF)
        if exponent == 0x1F {   // inf / NaN
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {      // zero / subnormal: mantissa * 2^-24, exact in float
            let magnitude = Float(mantissa) * 0x1p-24
            return Float(bitPattern: sign | magnitude.bitPattern)
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}
