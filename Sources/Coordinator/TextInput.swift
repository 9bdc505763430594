import Engine
import Foundation

/// Text given by path, tokenized once without special tokens (the 2SSP protocol).
enum TextInput {
    static func tokenize(path: String, modelPath: String) throws -> [Int32] {
        let text = try read(path)
        let tokenizer = try TokenizerLoader.load(modelPath: modelPath)
        return tokenizer.encode(text, addSpecialTokens: false)
    }

    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EngineError.io(path: path, reason: "cannot read text file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EngineError.corruptFile(path: path, reason: "text is not valid UTF-8")
        }
        return text
    }
}
