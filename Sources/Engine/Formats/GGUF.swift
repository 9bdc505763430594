/// A GGUF metadata value (GGUF v3 value types).
public indirect enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool)
    case string(String)
    case array([GGUFValue])
}

extension GGUFValue {
    /// Any integer value that fits in `Int` (writers disagree on u32 vs i32 vs u64 for counts).
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// Any numeric value as a Double (floats, and integers such as a rope base written as u32).
    public var double: Double? {
        switch self {
        // The shortest decimal that round-trips the float32 (1e-05, not 9.999999747378752e-06), so
        // configs converted from GGUF read like their HF originals.
        case .float32(let v): return Double(v.description) ?? Double(v)
        case .float64(let v): return v
        default: return int.map(Double.init)
        }
    }

    public var bool: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    public var string: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    public var array: [GGUFValue]? {
        if case .array(let v) = self { return v }
        return nil
    }

    /// An array whose every element is a string (e.g. `tokenizer.ggml.tokens`), else nil.
    public var stringArray: [String]? {
        guard case .array(let items) = self else { return nil }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .string(let s) = item else { return nil }
            out.append(s)
        }
        return out
    }

    /// An array whose every element is an integer that fits in `Int` (e.g. token types), else nil.
    public var intArray: [Int]? {
        guard case .array(let items) = self else { return nil }
        var out: [Int] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let v = item.int else { return nil }
            out.append(v)
        }
        return out
    }

    /// An array whose every element is numeric, as Doubles (e.g. token scores), else nil.
    public var doubleArray: [Double]? {
        guard case .array(let items) = self else { return nil }
        var out: [Double] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let v = item.double else { return nil }
            out.append(v)
        }
        return out
    }
}
