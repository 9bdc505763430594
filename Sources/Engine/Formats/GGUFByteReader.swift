/// A little-endian cursor over a GGUF file's bytes that checks every read against the end of the
/// file and reports a truncation as `corruptFile` with the offset and what was being read.
struct GGUFByteReader {
    let path: String
    let base: UnsafeRawPointer
    let size: Int
    var offset: Int = 0

    init(path: String, bytes: UnsafeRawBufferPointer) {
        self.path = path
        // An empty mapping has no base; any read from it fails the bounds check below.
        self.base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        self.size = bytes.count
    }

    var remaining: Int { size - offset }

    func corrupt(_ reason: String) -> EngineError {
        .corruptFile(path: path, reason: reason)
    }

    /// Throws unless `count` more bytes are available.
    @inline(__always)
    func require(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard count >= 0, count <= size - offset else {
            throw corrupt("file ends at byte \(size) while reading \(what()) at offset \(offset)"
                + " (\(count) bytes needed)")
        }
    }

    @inline(__always)
    mutating func scalar<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try require(MemoryLayout<T>.size, what())
        let v = T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return v
    }

    mutating func u32(_ what: @autoclosure () -> String) throws -> UInt32 { try scalar(UInt32.self, what()) }

    /// A u64 that must fit in `Int` (a count, length or offset); larger is corrupt.
    mutating func count(_ what: @autoclosure () -> String) throws -> Int {
        let raw = try scalar(UInt64.self, what())
        guard let v = Int(exactly: raw) else { throw corrupt("\(what()) is absurd (\(raw))") }
        return v
    }

    /// A GGUF string: u64 byte length + UTF-8 bytes (invalid UTF-8 is repaired with U+FFFD).
    mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let length = try count("length of \(what())")
        guard length <= remaining else {
            throw corrupt("\(what()) claims \(length) bytes at offset \(offset) but only \(remaining) remain")
        }
        let s = String(decoding: UnsafeBufferPointer(
            start: (base + offset).assumingMemoryBound(to: UInt8.self), count: length), as: UTF8.self)
        offset += length
        return s
    }
}
