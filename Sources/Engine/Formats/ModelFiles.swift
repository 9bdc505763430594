import Foundation

/// A model on disk, opened: its architecture and a lazy view of its tensors.
public struct OpenedModel: Sendable {
    public enum Format: String, Sendable { case gguf, huggingFace = "hf" }
    public let path: String
    public let format: Format
    public let config: ModelConfig
    public let tensors: any TensorSource
}

/// Opens a model path of either supported format: an HF directory (config.json + safetensors)
/// or a GGUF file. Nothing but headers is read here; weights are read when loaded.
public enum ModelFiles {
    public static func open(_ path: String) throws -> OpenedModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw EngineError.io(path: path, reason: "no such file or directory")
        }
        if isDirectory.boolValue {
            let configPath = (path as NSString).appendingPathComponent("config.json")
            guard let data = FileManager.default.contents(atPath: configPath) else {
                throw EngineError.io(path: configPath, reason: "cannot read config.json (an HF model directory needs one)")
            }
            let config = try HFConfig.parse(data, path: configPath)
            return OpenedModel(path: path, format: .huggingFace, config: config,
                               tensors: try HFDirectorySource(directory: path))
        }
        let file = try GGUFFile(path: path)
        return OpenedModel(path: path, format: .gguf, config: try file.modelConfig(),
                           tensors: try GGUFTensorSource(file: file))
    }
}
