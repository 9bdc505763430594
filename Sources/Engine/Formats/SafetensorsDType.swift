/// The dtype names of the safetensors format. We convert only the float types to fp32, but every
/// type the format defines is known here so a file holding other tensors (int64 position ids,
/// fp8 weights, ...) still opens and validates; loading such a tensor is refused by name.
enum SafetensorsDType {
    /// Bits per element of each dtype name the format defines (sub-byte types pack elements).
    static func bitsPerElement(_ name: String) -> Int? {
        switch name {
        case "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0": return 8
        case "I16", "U16", "F16", "BF16": return 16
        case "I32", "U32", "F32": return 32
        case "I64", "U64", "F64", "C64": return 64
        case "F4": return 4
        case "F6_E2M3", "F6_E3M2": return 6
        default: return nil
        }
    }

    /// The storage types we convert to fp32; nil for any other dtype.
    static func storageType(_ name: String) -> StorageType? {
        switch name {
        case "F32": return .f32
        case "F16": return .f16
        case "BF16": return .bf16
        default: return nil
        }
    }

    /// The dtype name written for a storage type we can write.
    static func name(of type: StorageType) -> String? {
        switch type {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        default: return nil
        }
    }

    static func bytesPerElement(of type: StorageType) -> Int? {
        switch type {
        case .f32: return 4
        case .f16, .bf16: return 2
        default: return nil
        }
    }
}
