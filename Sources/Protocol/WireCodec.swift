import Foundation

/// A message that cannot be decoded: what was expected and where.
public struct WireError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Little-endian binary encoding of message headers. Bulk tensors do not go here: they travel
/// as raw frames of their own.
public struct WireWriter {
    public private(set) var bytes: [UInt8] = []
    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    public mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func int(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    public mutating func f64(_ v: Double) { u64(v.bitPattern) }
    public mutating func raw(_ v: [UInt8]) { bytes.append(contentsOf: v) }
    public mutating func string(_ s: String) { let u = Array(s.utf8); u32(UInt32(u.count)); bytes.append(contentsOf: u) }
    public mutating func ints(_ v: [Int]) { u32(UInt32(v.count)); v.forEach { int($0) } }
    public mutating func int32s(_ v: [Int32]) { u32(UInt32(v.count)); v.forEach { u32(UInt32(bitPattern: $0)) } }
    public mutating func optionalString(_ s: String?) { bool(s != nil); if let s { string(s) } }
}

/// Reads what WireWriter wrote; every read is bounds-checked, so a truncated or foreign
/// message is a WireError naming the field, never a crash.
public struct WireReader {
    let data: [UInt8]
    var offset = 0
    /// Upper bound on any length prefix: no honest header field comes near it.
    static let maxLength = 1 << 28

    public init(_ data: Data) { self.data = [UInt8](data) }
    public var atEnd: Bool { offset == data.count }

    mutating func take(_ n: Int, _ field: String) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= data.count - offset else {
            throw WireError("message truncated reading \(field) (needs \(n) bytes at offset \(offset) of \(data.count))")
        }
        defer { offset += n }
        return data[offset..<(offset + n)]
    }

    mutating func fixed<T: FixedWidthInteger>(_ type: T.Type, _ field: String) throws -> T {
        let b = try take(MemoryLayout<T>.size, field)
        return b.reversed().reduce(T(0)) { ($0 << 8) | T($1) }
    }

    public mutating func u8(_ field: String) throws -> UInt8 { try fixed(UInt8.self, field) }
    public mutating func bool(_ field: String) throws -> Bool {
        let v = try u8(field)
        guard v <= 1 else { throw WireError("\(field): \(v) is not a boolean") }
        return v == 1
    }
    public mutating func u16(_ field: String) throws -> UInt16 { try fixed(UInt16.self, field) }
    public mutating func u32(_ field: String) throws -> UInt32 { try fixed(UInt32.self, field) }
    public mutating func u64(_ field: String) throws -> UInt64 { try fixed(UInt64.self, field) }
    public mutating func int(_ field: String) throws -> Int { Int(Int64(bitPattern: try u64(field))) }
    public mutating func f64(_ field: String) throws -> Double { Double(bitPattern: try u64(field)) }
    public mutating func raw(_ n: Int, _ field: String) throws -> [UInt8] { Array(try take(n, field)) }

    mutating func count(_ field: String, elementSize: Int) throws -> Int {
        let n = Int(try u32(field + " count"))
        guard n <= Self.maxLength, n * elementSize <= data.count - offset else {
            throw WireError("\(field): count \(n) exceeds the message (\(data.count - offset) bytes left)")
        }
        return n
    }

    public mutating func string(_ field: String) throws -> String {
        let n = try count(field, elementSize: 1)
        guard let s = String(validating: try take(n, field), as: UTF8.self) else { throw WireError("\(field) is not UTF-8") }
        return s
    }
    public mutating func ints(_ field: String) throws -> [Int] {
        let n = try count(field, elementSize: 8)
        return try (0..<n).map { _ in try int(field) }
    }
    public mutating func int32s(_ field: String) throws -> [Int32] {
        let n = try count(field, elementSize: 4)
        return try (0..<n).map { _ in Int32(bitPattern: try u32(field)) }
    }
    public mutating func optionalString(_ field: String) throws -> String? {
        try bool(field + " present") ? try string(field) : nil
    }
}

/// Raw little-endian frames for bulk numbers (x86-64 and arm64 are little-endian, so these
/// are plain copies).
public enum RawFrame {
    public static func floats(_ v: [Float]) -> Data { v.withUnsafeBytes { Data($0) } }
    public static func doubles(_ v: [Double]) -> Data { v.withUnsafeBytes { Data($0) } }

    public static func floats(_ d: Data, count: Int, _ field: String) throws -> [Float] {
        guard d.count == count * 4 else { throw WireError("\(field): frame has \(d.count) bytes, expected \(count) floats") }
        return d.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
    }
    public static func doubles(_ d: Data, count: Int, _ field: String) throws -> [Double] {
        guard d.count == count * 8 else { throw WireError("\(field): frame has \(d.count) bytes, expected \(count) doubles") }
        return d.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) } }
    }
}
