import Engine
import Foundation

/// A small random Llama written as a real HF directory (config.json + model.safetensors) and a
/// file of int32 token ids, for end-to-end runs of the command line.
struct TinyModelFiles {
    let directory: URL
    var model: String { directory.appendingPathComponent("model").path }
    var ids: String { directory.appendingPathComponent("ids.bin").path }
    let config: ModelConfig

    init(layers: Int = 6, family: String = "llama", seed: UInt64 = 5) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("twossp-tiny-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: directory.appendingPathComponent("model").path, withIntermediateDirectories: true)
        config = ModelConfig(modelType: family, hiddenSize: 64, intermediateSize: 96, numHiddenLayers: layers, numAttentionHeads: 4,
                             numKeyValueHeads: 2, headDim: 16, vocabSize: 97, rmsNormEps: 1e-5, ropeTheta: 10_000,
                             maxPositionEmbeddings: 512, tieWordEmbeddings: false, attentionBias: family == "qwen2")
        var state = seed
        func random(_ count: Int, _ scale: Float) -> [Float] {
            (0..<count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return (Float(state >> 40) / Float(1 << 24) - 0.5) * 2 * scale
            }
        }
        let c = config, d = c.hiddenSize, q = c.numAttentionHeads * c.headDim, kv = c.numKeyValueHeads * c.headDim
        var tensors: [(name: String, tensor: Tensor)] = [(TensorNames.embedding, Tensor(shape: [c.vocabSize, d], data: random(c.vocabSize * d, 1)))]
        for i in 0..<layers {
            func add(_ suffix: String, _ shape: [Int], _ scale: Float, offset: Float = 0) {
                tensors.append((TensorNames.block(i, suffix), Tensor(shape: shape, data: random(shape.reduce(1, *), scale).map { $0 + offset })))
            }
            add(TensorNames.inputNorm, [d], 0.2, offset: 1)
            add(TensorNames.q + ".weight", [q, d], 0.25); add(TensorNames.k + ".weight", [kv, d], 0.25)
            add(TensorNames.v + ".weight", [kv, d], 0.25)
            if c.attentionBias { add(TensorNames.q + ".bias", [q], 0.1); add(TensorNames.k + ".bias", [kv], 0.1); add(TensorNames.v + ".bias", [kv], 0.1) }
            add(TensorNames.o + ".weight", [d, q], 0.2)
            add(TensorNames.postNorm, [d], 0.2, offset: 1)
            add(TensorNames.gate + ".weight", [c.intermediateSize, d], 0.25); add(TensorNames.up + ".weight", [c.intermediateSize, d], 0.25)
            add(TensorNames.down + ".weight", [d, c.intermediateSize], 0.2)
        }
        tensors.append((TensorNames.finalNorm, Tensor(shape: [d], data: random(d, 0.2).map { $0 + 1 })))
        tensors.append((TensorNames.lmHead, Tensor(shape: [c.vocabSize, d], data: random(c.vocabSize * d, 0.5))))
        try SafetensorsWriter.write(tensors: tensors, dtype: .f32, metadata: ["format": "pt"],
                                    to: directory.appendingPathComponent("model/model.safetensors").path)
        try HFConfig.encode(c, basedOn: nil).write(to: directory.appendingPathComponent("model/config.json"))
        // Token ids with some structure (a repeating walk), so attention matters.
        let ids: [Int32] = (0..<(64 * 48)).map { Int32(($0 * 31 + ($0 / 7) * 5) % c.vocabSize) }
        try ids.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: self.ids))
    }

    /// `twossp prune` arguments for a small but complete run on this model.
    func pruneArguments(out: String, report: String, quiet: Bool = true) -> [String] {
        ["prune", "--model", model, "--sparsity", "0.35", "--calibration", ids, "--calibration-samples", "6",
         "--seq-len", "64", "--stage2-samples", "2", "--eval", ids, "--eval-windows", "4", "--out", out, "--report", report] + (quiet ? ["--quiet"] : [])
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// The parts of a prune report that must be identical across layouts.
struct ReportDecisions: Equatable {
    let removed: [Int], width: Int, keptHash: String, stage2: String, dense: String, pruned: String

    init(path: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        func json(_ v: Any) throws -> String { String(decoding: try JSONSerialization.data(withJSONObject: v, options: [.sortedKeys]), as: UTF8.self) }
        removed = object["removed_attention_blocks"] as! [Int]
        width = object["ffn_width"] as! Int
        keptHash = object["kept_neurons_sha256"] as! String
        stage2 = try json(object["stage2"]!)
        dense = try json(object["dense_perplexity"]!)
        pruned = try json(object["pruned_perplexity"]!)
    }
}
