#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Element conversions between the stored float types and fp32. The loops read through unaligned
/// loads (safetensors offsets need not be aligned) and are written so the compiler vectorises them.
enum SafetensorsConversion {
    /// Tensors at least this large are converted on all cores: the cost is page faults and memory
    /// bandwidth, which a second core roughly doubles.
    static let parallelThreshold = 1 << 20

    /// Converts `count` elements of `type` at `source` (any alignment) into `destination`.
    static func toFloat(_ type: StorageType, from source: UnsafeRawPointer,
                        into destination: UnsafeMutablePointer<Float>, count: Int) {
        if count >= parallelThreshold { adviseHugePages(destination, bytes: count * 4) }
        let chunkCount = count >= parallelThreshold ? max(1, ProcessInfo.processInfo.activeProcessorCount) * 4 : 1
        if chunkCount == 1 {
            convertChunk(type, source, destination, 0..<count)
            return
        }
        // Addresses cross into the worker closures as integers: raw pointers are not Sendable.
        let sourceAddress = UInt(bitPattern: source), destinationAddress = UInt(bitPattern: destination)
        let chunk = (count + chunkCount - 1) / chunkCount
        DispatchQueue.concurrentPerform(iterations: chunkCount) { index in
            let range = min(count, index * chunk)..<min(count, (index + 1) * chunk)
            guard let source = UnsafeRawPointer(bitPattern: sourceAddress),
                  let destination = UnsafeMutablePointer<Float>(bitPattern: destinationAddress) else { return }
            convertChunk(type, source, destination, range)
        }
    }

    /// Asks for transparent huge pages under a large fresh output buffer. Its first-touch page
    /// faults, not the conversion, dominate a load (measured 2-4x faster end to end), and weights
    /// in huge pages also spare the matrix products TLB misses. Only the 2 MB-aligned interior is
    /// advised; the advice changes no contents, and failure (THP off, old kernel) is harmless.
    static func adviseHugePages(_ buffer: UnsafeMutablePointer<Float>, bytes: Int) {
        let hugePage: UInt = 2 << 20
        let start = (UInt(bitPattern: buffer) + hugePage - 1) & ~(hugePage - 1)
        let end = (UInt(bitPattern: buffer) + UInt(bytes)) & ~(hugePage - 1)
        guard end > start, let region = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(region, Int(end - start), MADV_HUGEPAGE)
    }

    private static func convertChunk(_ type: StorageType, _ source: UnsafeRawPointer,
                                     _ destination: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        switch type {
        case .f32:
            (destination + range.lowerBound).withMemoryRebound(to: UInt8.self, capacity: range.count * 4) {
                $0.update(from: (source + range.lowerBound * 4).assumingMemoryBound(to: UInt8.self),
                          count: range.count * 4)
            }
        case .bf16:
            for i in range {
                let bits = source.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)
                destination[i] = Float(bitPattern: UInt32(UInt16(littleEndian: bits)) << 16)
            }
        case .f16:
            for i in range {
                let bits = source.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)
                destination[i] = floatFromHalfBits(UInt16(littleEndian: bits))
            }
        default:
            preconditionFailure("safetensors conversion of \(type) is never requested")
        }
    }

    /// IEEE half → single, exact, branch-free so the loop vectorises (Float(Float16) is a libcall
    /// on x86_64 without F16C). Subnormals are scaled through a float multiply.
    @inline(__always)
    static func floatFromHalfBits(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h & 0x7C00)
        let mantissa = UInt32(h & 0x03FF)
        // Normal numbers: rebias the exponent (15 → 127) and widen the mantissa.
        let normal = ((exponent >> 10) &+ 112) << 23 | mantissa << 13
        // Inf / NaN: all-ones exponent, payload kept; a NaN comes out quiet, as from Float16 or
        // PyTorch's conversion.
        let special = 0x7F80_0000 | mantissa << 13 | (mantissa == 0 ? 0 : 0x0040_0000)
        // Zero / subnormal: mantissa * 2^-24, exact in fp32.
        let tiny = (Float(mantissa) * 0x1p-24).bitPattern
        let magnitude = exponent == 0x7C00 ? special : (exponent == 0 ? tiny : normal)
        return Float(bitPattern: sign | magnitude)
    }

    /// fp32 → bf16 bits, rounding to nearest even on the dropped 16 bits (as PyTorch does);
    /// any NaN becomes the canonical quiet NaN 0x7FC0 (c10::BFloat16's choice): plain rounding
    /// could turn a NaN into infinity or, with the sign, wrap it to zero.
    @inline(__always)
    static func bf16Bits(_ x: Float) -> UInt16 {
        if x.isNaN { return 0x7FC0 }
        let bits = x.bitPattern
        let roundingBias = 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    /// fp32 → IEEE half bits, round to nearest even (Float16's own conversion).
    @inline(__always)
    static func f16Bits(_ x: Float) -> UInt16 { Float16(x).bitPattern }
}
