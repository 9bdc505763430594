import Foundation
import XCTest
@testable import Engine

/// End to end: the built-in assets in the real cache (TWOSSP_CACHE or ~/.cache/twossp), if they
/// were fetched (`twossp fetch`, or the setup step), have exactly the recorded sizes and sha256.
final class AssetCacheContentsTests: XCTestCase {
    private func check(_ recipe: AssetRecipe) throws {
        let path = AssetCache.directory.appendingPathComponent(recipe.relativePath).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(recipe.name) is not cached at \(path)")
        }
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
        XCTAssertEqual(size, recipe.size, recipe.name)
        XCTAssertEqual(try SHA256.hex(ofFileAt: path), recipe.sha256, recipe.name)
    }

    func testCachedModel() throws { try check(AssetCatalog.model) }
    func testCachedWiki() throws { try check(AssetCatalog.wiki) }
    func testCachedShakespeare() throws { try check(AssetCatalog.shakespeare) }
    func testCachedAusten() throws { try check(AssetCatalog.austen) }

    /// Catalog digests are the ones assets.md and the Python reference build give.
    func testCatalogMatchesReference() {
        XCTAssertEqual(AssetCatalog.model.sha256, "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
        XCTAssertEqual(AssetCatalog.model.size, 98_362_432)
        XCTAssertEqual(AssetCatalog.corpora.map(\.relativePath),
                       ["corpora/wiki.txt", "corpora/shakespeare.txt", "corpora/austen.txt"])
        XCTAssertEqual(AssetCatalog.model.relativePath, "models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf")
    }
}
