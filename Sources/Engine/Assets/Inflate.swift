import CZlib
import Foundation

/// Streaming DEFLATE decompression through zlib, for the three wrappings the assets use:
/// raw (zip entries), zlib (R lazy-load records) and gzip (sdists, R index files).
final class Inflater {
    enum Wrapping {
        case raw, zlib, gzip
        var windowBits: Int32 {
            switch self {
            case .raw: return -15
            case .zlib: return 15
            case .gzip: return 15 + 16
            }
        }
    }

    /// zlib keeps a pointer back to its z_stream and checks it on every call, so the stream
    /// lives at a fixed heap address rather than inside a movable Swift value.
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutablePointer<UInt8>
    private let outputCapacity = 1 << 18
    /// What the errors name (an archive path and entry).
    private let source: String
    private(set) var finished = false

    init(_ wrapping: Wrapping, source: String) throws {
        self.source = source
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(capacity: outputCapacity)
        let status = inflateInit2_(stream, wrapping.windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            output.deallocate()
            throw EngineError.corruptFile(path: source, reason: "zlib inflateInit failed (\(status))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    /// Decompresses from `input` until the input is used up or the compressed stream ends,
    /// handing each piece of output to `sink`. Returns how many input bytes were consumed
    /// (less than `input.count` only when the stream ended early).
    @discardableResult
    func feed(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        guard !finished, let base = input.baseAddress, input.count > 0 else { return 0 }
        var consumed = 0
        while consumed < input.count && !finished {
            // avail_in is 32-bit: feed very large inputs in slices.
            let slice = min(input.count - consumed, Int(Int32.max))
            stream.pointee.next_in = UnsafeMutablePointer(mutating: (base + consumed).assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = UInt32(slice)
            repeat {
                stream.pointee.next_out = output
                stream.pointee.avail_out = UInt32(outputCapacity)
                let status = inflate(stream, Z_NO_FLUSH)
                let produced = outputCapacity - Int(stream.pointee.avail_out)
                if produced > 0 { try sink(UnsafeRawBufferPointer(start: output, count: produced)) }
                switch status {
                case Z_STREAM_END:
                    finished = true
                case Z_OK:
                    break
                case Z_BUF_ERROR where produced == 0 && stream.pointee.avail_in == 0:
                    break  // needs more input
                default:
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
                    throw EngineError.corruptFile(path: source, reason: "invalid compressed data: \(message)")
                }
            } while !finished && (stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0)
            consumed += slice - Int(stream.pointee.avail_in)
        }
        return consumed
    }

    /// One-shot decompression of a whole buffer into memory. `expectedSize` (when known) must
    /// match exactly; `limit` bounds the output so a hostile stream cannot exhaust memory.
    static func inflateAll(_ input: UnsafeRawBufferPointer, wrapping: Wrapping, source: String,
                           expectedSize: Int? = nil, limit: Int = 1 << 31) throws -> [UInt8] {
        let inflater = try Inflater(wrapping, source: source)
        var out = [UInt8]()
        if let expectedSize { out.reserveCapacity(min(expectedSize, limit)) }
        let cap = min(expectedSize ?? limit, limit)
        let consumed = try inflater.feed(input) { piece in
            guard piece.count <= cap - out.count else {
                throw EngineError.corruptFile(path: source,
                    reason: "decompressed data exceeds the expected \(cap) bytes")
            }
            out.append(contentsOf: piece)
        }
        guard inflater.finished else {
            throw EngineError.corruptFile(path: source, reason: "compressed data ends early (truncated)")
        }
        if wrapping != .raw && consumed != input.count {
            throw EngineError.corruptFile(path: source,
                reason: "\(input.count - consumed) unexpected bytes after the compressed stream")
        }
        if let expectedSize, out.count != expectedSize {
            throw EngineError.corruptFile(path: source,
                reason: "decompressed to \(out.count) bytes, expected \(expectedSize)")
        }
        return out
    }

    /// CRC-32 (zip's checksum) of a buffer, continuing from `crc`.
    static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        var value = UInt(crc)
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, Int(UInt32.max >> 1))
            value = CZlib.crc32(value, (base + offset).assumingMemoryBound(to: UInt8.self), UInt32(n))
            offset += n
        }
        return UInt32(truncatingIfNeeded: value)
    }
}
