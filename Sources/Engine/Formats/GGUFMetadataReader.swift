/// Reads GGUF metadata values. Every length and element count is checked against the bytes left
/// in the file before anything is allocated, so a corrupt count cannot make us reserve gigabytes.
extension GGUFByteReader {
    /// GGUF value type ids.
    enum ValueType: UInt32 {
        case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

        /// Bytes of one value on disk, or the minimum for variable-size types (string, array).
        var minimumBytes: Int {
            switch self {
            case .uint8, .int8, .bool: return 1
            case .uint16, .int16: return 2
            case .uint32, .int32, .float32: return 4
            case .uint64, .int64, .float64: return 8
            case .string: return 8           // u64 length
            case .array: return 12           // u32 element type + u64 count
            }
        }
    }

    /// Deeper nesting than this is no real file; the limit keeps recursion bounded.
    static let maxArrayNesting = 8

    mutating func valueType(_ what: @autoclosure () -> String) throws -> ValueType {
        let raw = try u32("type of \(what())")
        guard let type = ValueType(rawValue: raw) else {
            throw corrupt("\(what()) has unknown value type \(raw) at offset \(offset - 4)")
        }
        return type
    }

    mutating func value(of type: ValueType, key: String, depth: Int = 0) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try scalar(UInt8.self, "value of '\(key)'"))
        case .int8: return .int8(try scalar(Int8.self, "value of '\(key)'"))
        case .uint16: return .uint16(try scalar(UInt16.self, "value of '\(key)'"))
        case .int16: return .int16(try scalar(Int16.self, "value of '\(key)'"))
        case .uint32: return .uint32(try scalar(UInt32.self, "value of '\(key)'"))
        case .int32: return .int32(try scalar(Int32.self, "value of '\(key)'"))
        case .uint64: return .uint64(try scalar(UInt64.self, "value of '\(key)'"))
        case .int64: return .int64(try scalar(Int64.self, "value of '\(key)'"))
        case .float32: return .float32(Float(bitPattern: try scalar(UInt32.self, "value of '\(key)'")))
        case .float64: return .float64(Double(bitPattern: try scalar(UInt64.self, "value of '\(key)'")))
        case .bool:
            let b = try scalar(UInt8.self, "value of '\(key)'")
            guard b <= 1 else { throw corrupt("bool value of '\(key)' is \(b), not 0 or 1") }
            return .bool(b == 1)
        case .string: return .string(try string("string value of '\(key)'"))
        case .array: return .array(try array(key: key, depth: depth))
        }
    }

    private mutating func array(key: String, depth: Int) throws -> [GGUFValue] {
        guard depth < Self.maxArrayNesting else {
            throw corrupt("arrays nested more than \(Self.maxArrayNesting) deep in '\(key)'")
        }
        let elementType = try valueType("array elements of '\(key)'")
        let count = try count("element count of array '\(key)'")
        guard count <= remaining / elementType.minimumBytes else {
            throw corrupt("array '\(key)' claims \(count) elements of type \(elementType) at offset"
                + " \(offset) but only \(remaining) bytes remain")
        }
        switch elementType {
        case .string: return try stringElements(count: count, key: key)
        case .array, .bool:
            var items: [GGUFValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try value(of: elementType, key: key, depth: depth + 1)) }
            return items
        default:
            return fixedSizeElements(type: elementType, count: count)
        }
    }

    /// Fixed-size numbers: the whole array was bounds-checked by the caller, so read without checks.
    private mutating func fixedSizeElements(type: ValueType, count: Int) -> [GGUFValue] {
        let p = base + offset
        offset += count * type.minimumBytes
        func read<T: FixedWidthInteger>(_: T.Type, _ wrap: (T) -> GGUFValue) -> [GGUFValue] {
            (0..<count).map { wrap(T(littleEndian: p.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))) }
        }
        switch type {
        case .uint8: return read(UInt8.self) { .uint8($0) }
        case .int8: return read(Int8.self) { .int8($0) }
        case .uint16: return read(UInt16.self) { .uint16($0) }
        case .int16: return read(Int16.self) { .int16($0) }
        case .uint32: return read(UInt32.self) { .uint32($0) }
        case .int32: return read(Int32.self) { .int32($0) }
        case .uint64: return read(UInt64.self) { .uint64($0) }
        case .int64: return read(Int64.self) { .int64($0) }
        case .float32: return read(UInt32.self) { .float32(Float(bitPattern: $0)) }
        case .float64: return read(UInt64.self) { .float64(Double(bitPattern: $0)) }
        case .bool, .string, .array: return []   // handled by the caller
        }
    }

    /// The hot path for tokenizer vocabularies (~50k-250k strings): one bounds check per string.
    private mutating func stringElements(count: Int, key: String) throws -> [GGUFValue] {
        var items: [GGUFValue] = []
        items.reserveCapacity(count)
        for index in 0..<count {
            guard remaining >= 8 else {
                throw corrupt("file ends in element \(index) of array '\(key)' at offset \(offset)")
            }
            let rawLength = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
            guard rawLength <= UInt64(remaining) else {
                throw corrupt("element \(index) of array '\(key)' claims \(rawLength) bytes at offset"
                    + " \(offset - 8) but only \(remaining) remain")
            }
            let length = Int(rawLength)
            let bytes = UnsafeBufferPointer(start: (base + offset).assumingMemoryBound(to: UInt8.self), count: length)
            items.append(.string(String(decoding: bytes, as: UTF8.self)))
            offset += length
        }
        return items
    }
}
