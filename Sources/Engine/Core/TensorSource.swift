/// Element types that appear in model files.
public enum StorageType: String, Sendable, Equatable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"
    case q8_0 = "Q8_0", q4_0 = "Q4_0", q4_1 = "Q4_1", q4_K = "Q4_K", q6_K = "Q6_K"
}

/// Where a model's weights come from, seen through Hugging Face tensor names
/// (`model.layers.3.self_attn.q_proj.weight`) and HF row-major shapes ([out, in] for a Linear).
/// A GGUF source maps the names and undoes llama.cpp's q/k row permutation, so the forward pass
/// never knows which format it reads. Only the tensors asked for are read (files are mmapped).
public protocol TensorSource: Sendable {
    /// Every tensor name available, in HF convention.
    var tensorNames: [String] { get }
    /// HF row-major shape of a tensor, or nil if absent.
    func shape(of name: String) -> [Int]?
    /// The tensor converted to fp32. Throws `EngineError` naming the file on any problem.
    func load(_ name: String) throws -> Tensor
}

extension TensorSource {
    public func contains(_ name: String) -> Bool { shape(of: name) != nil }
}
