import Foundation

/// Finds and builds the tokenizer of a model.
public enum TokenizerLoader {
    /// tokenizer.json in an HF directory (or the file itself), or the vocabulary inside a .gguf file.
    public static func load(modelPath: String) throws -> any TextTokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: modelPath, isDirectory: &isDirectory) else {
            throw EngineError.io(path: modelPath, reason: "no such file or directory")
        }
        if isDirectory.boolValue {
            let json = (modelPath as NSString).appendingPathComponent("tokenizer.json")
            guard FileManager.default.fileExists(atPath: json) else {
                throw EngineError.io(path: modelPath, reason: "model directory has no tokenizer.json")
            }
            return try load(tokenizerJSON: json)
        }
        if modelPath.lowercased().hasSuffix(".gguf") {
            return try load(ggufMetadata: try GGUFFile(path: modelPath).metadata, path: modelPath)
        }
        return try load(tokenizerJSON: modelPath)
    }

    public static func load(tokenizerJSON path: String) throws -> any TextTokenizer {
        try BPETokenizer(TokenizerJSONReader.read(path: path))
    }

    public static func load(ggufMetadata: [String: GGUFValue], path: String) throws -> any TextTokenizer {
        try BPETokenizer(GGUFVocabulary.spec(metadata: ggufMetadata, path: path))
    }

    /// Writes an HF tokenizer.json equivalent to a GGUF vocabulary (for exporting pruned models).
    public static func tokenizerJSON(ggufMetadata: [String: GGUFValue], path: String) throws -> Data {
        let spec = try GGUFVocabulary.spec(metadata: ggufMetadata, path: path)
        _ = try BPETokenizer(spec)       // only write what we can also read back
        return TokenizerJSONWriter.data(spec)
    }
}
