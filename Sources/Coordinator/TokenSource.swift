import Engine
import Foundation

/// A text or id input named on the command line (`--calibration`, `--eval`): a built-in
/// corpus, a text file, a file of int32 ids (`*.bin`/`*.ids`) or an inline id list.
struct TokenSource {
    let name: String
    let ids: [Int32]
    /// What the ids came from, for reports.
    let description: [String: Any]

    static func load(_ arg: String, modelPath: String) throws -> TokenSource {
        let isIDs = arg.hasSuffix(".bin") || arg.hasSuffix(".ids") || (arg.contains(",") && !FileManager.default.fileExists(atPath: arg))
        if isIDs {
            let ids = try TokenIDs.parse(arg)
            return TokenSource(name: arg, ids: ids, description: ["source": arg, "kind": "ids", "tokens": ids.count,
                                                                  "ids_sha256": TokenSource.sha256(ids)])
        }
        let path = try AssetCache.resolveCorpus(arg)
        note("tokenizing \(arg)...")
        let ids = try TextInput.tokenize(path: path, modelPath: modelPath)
        return TokenSource(name: arg, ids: ids, description: [
            "source": arg, "kind": "text", "path": path, "tokens": ids.count,
            "text_sha256": try SHA256.hex(ofFileAt: path), "ids_sha256": TokenSource.sha256(ids),
        ])
    }

    /// sha256 of the ids as little-endian int32 (the `tokenize --json` convention).
    static func sha256(_ ids: [Int32]) -> String { TokenIdDigest.sha256Hex(ids) }
}
