import XCTest
@testable import Engine

/// Each block layout written by hand from ggml's block structs (ggml-common.h), with expected
/// values from the documented formulas. Scales are powers of two or small integers so every
/// expected float is exact and the comparison can be exact.
final class GGUFDequantizeTests: XCTestCase {
    /// Runs the engine's dequantiser on `bytes` placed at an odd address (loads must be unaligned).
    private func dequantize(_ type: StorageType, _ bytes: [UInt8], count: Int) -> [Float] {
        let padded = [0xAB] + bytes
        var out = [Float](repeating: .nan, count: count)
        padded.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { dst in
                Dequantize.run(type, from: raw.baseAddress! + 1, count: count, into: dst.baseAddress!)
            }
        }
        return out
    }

    func testF32IsCopied() {
        var s = GGUFByteSink()
        let values: [Float] = [1.5, -0.0, .infinity, Float(bitPattern: 0x0000_0801), -123456.789]
        values.forEach { s.f32($0) }
        XCTAssertEqual(dequantize(.f32, s.bytes, count: 5).map(\.bitPattern), values.map(\.bitPattern))
    }

    func testF16HandPicked() {
        var s = GGUFByteSink()
        // 1, -2, max half, smallest subnormal, largest subnormal, -0, +inf, 1/3 rounded, 2^-14
        [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x8000, 0x7C00, 0x3555, 0x0400].forEach { s.u16($0) }
        let expected: [Float] = [1, -2, 65504, 0x1p-24, 1023 * 0x1p-24, -0.0, .infinity, 0.333251953125, 0x1p-14]
        let got = dequantize(.f16, s.bytes, count: 9)
        XCTAssertEqual(got.map(\.bitPattern), expected.map(\.bitPattern))
    }

    /// The bit-level half → float conversion agrees with Swift's own Float16 on all 65536 inputs.
    func testHalfToFloatExhaustive() {
        for bits in 0...UInt16.max {
            let mine = Dequantize.halfToFloat(bits)
            let reference = Float(Float16(bitPattern: bits))
            if reference.isNaN {
                XCTAssertTrue(mine.isNaN)
                XCTAssertEqual(mine.sign, reference.sign)
            } else if mine.bitPattern != reference.bitPattern {
                XCTFail("half 0x\(String(bits, radix: 16)): \(mine) != \(reference)")
                return
            }
        }
    }

    func testBF16() {
        var s = GGUFByteSink()
        [0x3F80, 0xC040, 0x7F80, 0x0001, 0x4049].forEach { s.u16($0) }
        let expected: [Float] = [1, -3, .infinity, Float(bitPattern: 0x0001_0000), 3.140625]
        XCTAssertEqual(dequantize(.bf16, s.bytes, count: 5).map(\.bitPattern), expected.map(\.bitPattern))
    }

    /// block_q8_0 { half d; int8 qs[32]; }  x = d * q
    func testQ8_0() {
        var s = GGUFByteSink()
        s.u16(0x3800)                                  // d = 0.5
        let qs: [Int8] = [-128, -1, 0, 1, 127] + (5..<32).map { Int8($0 * 3 - 50) }
        qs.forEach { s.u8(UInt8(bitPattern: $0)) }
        s.u16(0xC400)                                  // second block: d = -4
        (0..<32).forEach { s.u8(UInt8(bitPattern: Int8($0 - 3))) }
        let got = dequantize(.q8_0, s.bytes, count: 64)
        XCTAssertEqual(Array(got[0..<5]), [-64, -0.5, 0, 0.5, 63.5])
        XCTAssertEqual(got[31], Float(31 * 3 - 50) * 0.5)   // 21.5
        XCTAssertEqual(got[31], 21.5)
        XCTAssertEqual(Array(got[32..<35]), [12, 8, 4])       // q = -3, -2, -1 times -4
        XCTAssertEqual(got[63], -112)                         // q = 28
    }

    /// block_q4_0 { half d; u8 qs[16]; }  x[j] = (lo(qs[j]) - 8) d, x[j+16] = (hi(qs[j]) - 8) d
    func testQ4_0() {
        var s = GGUFByteSink()
        s.u16(0x3400)                                  // d = 0.25
        for j in 0..<16 { s.u8(UInt8(j) | UInt8(15 - j) << 4) }
        let got = dequantize(.q4_0, s.bytes, count: 32)
        XCTAssertEqual(got[0], -2)       // (0 - 8) / 4
        XCTAssertEqual(got[8], 0)
        XCTAssertEqual(got[15], 1.75)    // (15 - 8) / 4
        XCTAssertEqual(got[16], 1.75)    // hi nibble of byte 0 = 15
        XCTAssertEqual(got[31], -2)      // hi nibble of byte 15 = 0
        XCTAssertEqual(got, (0..<16).map { Float($0 - 8) / 4 } + (0..<16).map { Float(7 - $0) / 4 })
    }

    /// block_q4_1 { half d; half m; u8 qs[16]; }  x = q d + m; low nibbles are elements 0..15.
    func testQ4_1() {
        var s = GGUFByteSink()
        s.u16(0x4000)                                  // d = 2
        s.u16(0xBE00)                                  // m = -1.5
        for j in 0..<16 { s.u8(UInt8(j) | UInt8((j * 5) % 16) << 4) }
        let got = dequantize(.q4_1, s.bytes, count: 32)
        XCTAssertEqual(got[0], -1.5)     // 0 * 2 - 1.5
        XCTAssertEqual(got[15], 28.5)    // 15 * 2 - 1.5
        XCTAssertEqual(got[17], 8.5)     // hi nibble of byte 1 = 5
        XCTAssertEqual(got[19], 28.5)    // hi nibble of byte 3 = 15
        XCTAssertEqual(got, (0..<16).map { Float($0) * 2 - 1.5 } + (0..<16).map { Float(($0 * 5) % 16) * 2 - 1.5 })
    }

    /// block_q4_K { half d; half dmin; u8 scales[12]; u8 qs[128]; }: 8 sub-blocks of 32 with 6-bit
    /// scale sc[s] and min m[s]; x = (d sc[s]) q - (dmin m[s]). Sub-blocks 2p and 2p+1 share qs
    /// bytes 32p..<32p+32 (low nibbles, then high nibbles). Packing of the 12 scale bytes:
    /// bytes 0-3 = sc[0..3] | (sc[4..7] >> 4) << 6, bytes 4-7 = m[0..3] | (m[4..7] >> 4) << 6,
    /// bytes 8-11 = (sc[4..7] & 15) | (m[4..7] & 15) << 4.
    func testQ4_K() {
        let sc: [UInt8] = [1, 2, 3, 63, 17, 33, 48, 5]
        let mins: [UInt8] = [0, 1, 62, 7, 20, 40, 63, 9]
        var scales = [UInt8](repeating: 0, count: 12)
        for j in 0..<4 {
            scales[j] = sc[j] | (sc[j + 4] >> 4) << 6
            scales[j + 4] = mins[j] | (mins[j + 4] >> 4) << 6
            scales[j + 8] = (sc[j + 4] & 15) | (mins[j + 4] & 15) << 4
        }
        let qs = (0..<128).map { UInt8(($0 * 7 + 3) & 0xFF) }
        var s = GGUFByteSink()
        s.u16(0x3C00)                                  // d = 1
        s.u16(0x3800)                                  // dmin = 0.5
        s.bytes += scales + qs
        XCTAssertEqual(s.bytes.count, 144)
        let got = dequantize(.q4_K, s.bytes, count: 256)

        // By hand: element 0 is sub-block 0 (sc 1, m 0), q = lo(qs[0] = 3) = 3 → 3.
        XCTAssertEqual(got[0], 3)
        // Element 32 is sub-block 1 (sc 2, m 1), q = hi(qs[0] = 3) = 0 → 0 - 0.5.
        XCTAssertEqual(got[32], -0.5)
        // Element 100: sub-block 3 (sc 63, m 7), q = hi(qs[32 + 4] = 255) = 15 → 945 - 3.5.
        XCTAssertEqual(got[100], 941.5)
        // Element 130: sub-block 4 (sc 17, m 20), q = lo(qs[64 + 2] = 209) = 1 → 17 - 10.
        XCTAssertEqual(got[130], 7)
        // Element 255: sub-block 7 (sc 5, m 9), q = hi(qs[127] = 124) = 7 → 35 - 4.5.
        XCTAssertEqual(got[255], 30.5)

        var expected: [Float] = []
        for sub in 0..<8 {
            let bytes = qs[(sub / 2) * 32..<(sub / 2) * 32 + 32]
            for b in bytes {
                let q = sub % 2 == 0 ? b & 15 : b >> 4
                expected.append(Float(sc[sub]) * Float(q) - 0.5 * Float(mins[sub]))
            }
        }
        XCTAssertEqual(got, expected)
    }

    /// block_q6_K { u8 ql[128]; u8 qh[64]; int8 scales[16]; half d; }: 6-bit q stored as 4 low
    /// bits in ql and 2 high bits in qh, x = (d scales[i / 16]) (q - 32). In each half of 128
    /// elements, element 32k + l (k = 0..3, l = 0..31) takes its low bits from ql[l + 32 (k & 1)]
    /// (low nibble for k < 2, high for k >= 2) and its high bits from bits 2k..2k+1 of qh[l].
    func testQ6_K() {
        let q = (0..<256).map { UInt8(($0 * 11 + 5) % 64) }
        let scales: [Int8] = [1, -1, 2, -2, 127, -128, 3, 5, 7, -7, 0, 64, -64, 9, 10, 11]
        var ql = [UInt8](repeating: 0, count: 128), qh = [UInt8](repeating: 0, count: 64)
        for half in 0..<2 {
            for k in 0..<4 {
                for l in 0..<32 {
                    let v = q[half * 128 + k * 32 + l]
                    let lowIndex = half * 64 + l + 32 * (k & 1)
                    ql[lowIndex] |= k < 2 ? v & 15 : (v & 15) << 4
                    qh[half * 32 + l] |= (v >> 4) << (2 * k)
                }
            }
        }
        var s = GGUFByteSink()
        s.bytes += ql + qh + scales.map { UInt8(bitPattern: $0) }
        s.u16(0x3000)                                  // d = 0.125
        XCTAssertEqual(s.bytes.count, 210)
        let got = dequantize(.q6_K, s.bytes, count: 256)

        // By hand: element 0: q = 5, scale 1 → 0.125 * (5 - 32) = -3.375.
        XCTAssertEqual(got[0], -3.375)
        // Element 70 (scale index 4 = 127): q = (70*11+5) % 64 = 7 → 0.125 * 127 * -25 = -396.875.
        XCTAssertEqual(got[70], -396.875)
        // Element 95 (scale -128): q = (95*11+5) % 64 = 26 → 0.125 * -128 * -6 = 96.
        XCTAssertEqual(got[95], 96)
        // Element 255 (scale 11): q = (255*11+5) % 64 = 58 → 0.125 * 11 * 26 = 35.75.
        XCTAssertEqual(got[255], 35.75)
        XCTAssertEqual(got, (0..<256).map { 0.125 * Float(scales[$0 / 16]) * Float(Int(q[$0]) - 32) })
    }

    func testLayoutsMatchTheFileTypeTable() {
        let ids: [StorageType: UInt32] = [.f32: 0, .f16: 1, .q4_0: 2, .q4_1: 3, .q8_0: 8, .q4_K: 12, .q6_K: 14, .bf16: 30]
        for (type, id) in ids {
            let ggml = GGMLType.known(id)!
            XCTAssertEqual(ggml.storageType, type)
            XCTAssertEqual(Dequantize.layout(of: type).blockSize, ggml.blockSize)
            XCTAssertEqual(Dequantize.layout(of: type).blockBytes, ggml.blockBytes)
        }
    }
}
