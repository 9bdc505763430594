/// A ggml tensor type id as stored in a GGUF tensor info, with its block layout.
///
/// Every type ggml defines is known here with its block size and bytes per block, so that the
/// byte range of any tensor can be validated at open even when we cannot dequantise it; only the
/// types in `StorageType` can be loaded (others throw `unsupported` when that tensor is loaded).
public struct GGMLType: Sendable, Equatable, CustomStringConvertible {
    public let id: UInt32
    public let name: String
    /// Elements per block (1 for plain float / int types).
    public let blockSize: Int
    /// Bytes per block.
    public let blockBytes: Int

    /// The engine's storage type if we can dequantise this type, else nil.
    public var storageType: StorageType? {
        switch id {
        case 0: return .f32
        case 1: return .f16
        case 2: return .q4_0
        case 3: return .q4_1
        case 8: return .q8_0
        case 12: return .q4_K
        case 14: return .q6_K
        case 30: return .bf16
        default: return nil
        }
    }

    public var description: String { "\(name) (ggml type \(id))" }

    /// The layout of ggml type `id`, or nil for an id ggml does not define (as of gguf-py 0.17).
    public static func known(_ id: UInt32) -> GGMLType? {
        guard let (name, block, bytes) = table[id] else { return nil }
        return GGMLType(id: id, name: name, blockSize: block, blockBytes: bytes)
    }

    /// Byte size of `elements` elements, or nil if not a whole number of blocks or on overflow.
    public func byteCount(elements: Int) -> Int? {
        guard elements >= 0, elements % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }

    // Sizes from ggml's type_traits (ggml.c) / gguf-py's GGML_QUANT_SIZES; QK_K = 256.
    private static let table: [UInt32: (String, Int, Int)] = [
        0: ("F32", 1, 4), 1: ("F16", 1, 2),
        2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
        6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24),
        8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36),
        10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144),
        13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
        16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98),
        19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110),
        22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136),
        24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8),
        28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2),
        34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66),
        39: ("MXFP4", 32, 17), 40: ("NVFP4", 64, 36), 41: ("Q1_0", 128, 18),
    ]
}

/// One tensor described in a GGUF file's header, validated against the file at open.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// GGUF name, e.g. `blk.3.attn_q.weight`.
    public let name: String
    /// Dimensions fastest-first, as in the file (`[cols, rows]` for a matrix).
    public let dims: [Int]
    public let ggmlType: GGMLType
    /// Absolute byte offset of the tensor's data in the file.
    public let offset: Int
    /// Bytes of data (a whole number of blocks).
    public let byteCount: Int
    /// Product of `dims`.
    public let elementCount: Int

    /// The engine's storage type, or nil if ggml defines this type but we cannot dequantise it.
    public var type: StorageType? { ggmlType.storageType }
    /// Row-major shape, slowest dimension first (the reverse of `dims`), as HF and `Tensor` use.
    public var rowMajorShape: [Int] { dims.reversed() }
}
