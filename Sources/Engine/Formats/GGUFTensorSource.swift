/// A GGUF file seen as Hugging Face tensors: HF names, HF row-major shapes, fp32 data, and the
/// q/k rows in HF order (rotate-half RoPE), so the forward pass cannot tell it from safetensors.
///
/// llama.cpp's converter permutes the rows of `attn_q` / `attn_k` (weights and biases) of
/// llama-family models for its interleaved-pair RoPE: within each head, HF row `j*(d/2) + i`
/// (half j, pair i) is stored at GGUF row `2*i + j`. We undo that while dequantising, row by row.
/// qwen2 is converted without the permutation (llama.cpp runs it with NEOX RoPE), so its rows are
/// used as stored — the same rule as transformers' GGUF loader.
public struct GGUFTensorSource: TensorSource {
    public let file: GGUFFile
    public let config: ModelConfig
    /// Whether attn_q / attn_k rows are stored in llama.cpp's permuted order.
    public let qkRowsPermuted: Bool
    public let tensorNames: [String]
    /// HF name → index into `file.tensorInfos`.
    private let index: [String: Int]

    public static let permutedArchitectures: Set<String> = ["llama", "mistral"]

    public init(path: String) throws {
        try self.init(file: GGUFFile(path: path))
    }

    /// Reads and checks the model config (every tensor shape against the metadata).
    public init(file: GGUFFile) throws {
        self.file = file
        config = try file.modelConfig()
        qkRowsPermuted = Self.permutedArchitectures.contains(config.modelType)
        var index: [String: Int] = [:]
        var names: [String] = []
        for (i, info) in file.tensorInfos.enumerated() {
            guard let hf = GGUFNames.hfName(for: info.name) else { continue }
            index[hf] = i
            names.append(hf)
        }
        self.index = index
        tensorNames = names
    }

    public func shape(of name: String) -> [Int]? {
        index[name].map { file.tensorInfos[$0].rowMajorShape }
    }

    /// The GGUF tensor behind an HF name.
    public func tensorInfo(of name: String) -> GGUFTensorInfo? {
        index[name].map { file.tensorInfos[$0] }
    }

    public func load(_ name: String) throws -> Tensor {
        guard let info = tensorInfo(of: name) else {
            throw EngineError.mismatch("\(file.path): no tensor '\(name)' (GGUF name '\(GGUFNames.ggufName(for: name) ?? "?")')")
        }
        guard let heads = permutedHeads(of: info) else {
            return Tensor(shape: info.rowMajorShape, data: try file.dequantized(info))
        }
        return Tensor(shape: info.rowMajorShape, data: try dequantizedUnpermuted(info, heads: heads))
    }

    /// Heads whose rows must be un-permuted for this tensor, or nil if stored in HF order.
    private func permutedHeads(of info: GGUFTensorInfo) -> Int? {
        guard qkRowsPermuted else { return nil }
        let stem = info.name.hasSuffix(".weight") ? info.name.dropLast(7)
            : info.name.hasSuffix(".bias") ? info.name.dropLast(5) : Substring("")
        if stem.hasSuffix(".attn_q") { return config.numAttentionHeads }
        if stem.hasSuffix(".attn_k") { return config.numKeyValueHeads }
        return nil
    }

    /// Dequantises each stored row straight into its HF position (rows are whole blocks).
    private func dequantizedUnpermuted(_ info: GGUFTensorInfo, heads: Int) throws -> [Float] {
        let type = try file.storageType(of: info)
        let rowLength = info.dims.count == 1 ? 1 : info.dims[0]
        let rows = rowLength == 0 ? 0 : info.elementCount / rowLength
        guard rows % (2 * heads) == 0 else {
            throw EngineError.mismatch("\(file.path): tensor '\(info.name)' has \(rows) rows, not a whole number of head pairs for \(heads) heads")
        }
        let (blockSize, blockBytes) = Dequantize.layout(of: type)
        let rowBytes = rowLength / blockSize * blockBytes
        let headRows = rows / heads, half = headRows / 2
        let bytes = try file.rawData(of: info)
        return [Float](unsafeUninitializedCapacity: info.elementCount) { buffer, initialized in
            if let src = bytes.baseAddress, let dst = buffer.baseAddress {
                for stored in 0..<rows {
                    // stored row = head*headRows + 2*pair + halfIndex
                    let head = stored / headRows, within = stored % headRows
                    let hfRow = head * headRows + (within % 2) * half + within / 2
                    Dequantize.run(type, from: src + stored * rowBytes, count: rowLength,
                                   into: dst + hfRow * rowLength)
                }
            }
            initialized = info.elementCount
        }
    }
}
