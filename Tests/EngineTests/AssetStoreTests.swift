import Foundation
import XCTest
@testable import Engine

/// The cache's guarantees with local recipes (no network): verified atomic installs, nothing left
/// behind on failure, clear errors, one build when two fetch at once, and name/path resolution.
final class AssetStoreTests: XCTestCase {
    private var root: URL!
    private var lines: LogLines!

    final class LogLines: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return stored }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() { lock.lock(); value += 1; lock.unlock() }
        var count: Int { lock.lock(); defer { lock.unlock() }; return value }
    }

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("twossp-store-\(UUID().uuidString)")
        lines = LogLines()
    }

    override func tearDown() { try? FileManager.default.removeItem(at: root) }

    private var store: AssetStore {
        let lines = self.lines!
        return AssetStore(root: root, log: { lines.append($0) })
    }

    private static let hello = Array("hello\n".utf8)
    // python3 -c "import hashlib; print(hashlib.sha256(b'hello\n').hexdigest())"
    private static let helloSHA = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

    private func recipe(sha256: String = helloSHA, size: Int = 6, counter: Counter? = nil, delay: Double = 0,
                        build: (@Sendable (URL, URL) throws -> Void)? = nil) -> AssetRecipe {
        AssetRecipe(name: "demo", relativePath: "corpora/demo.txt", size: size, sha256: sha256,
                    source: "a test recipe", build: build ?? { _, output in
                        counter?.increment()
                        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
                        try Data(AssetStoreTests.hello).write(to: output)
                    })
    }

    private func scratchEntries() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("tmp").path)) ?? []
    }

    func testBuildsVerifiesAndInstallsOnce() throws {
        let counter = Counter()
        let path = try store.materialise(recipe(counter: counter))
        XCTAssertEqual(path, root.appendingPathComponent("corpora/demo.txt"))
        XCTAssertEqual(try Data(contentsOf: path), Data(Self.hello))
        try store.materialise(recipe(counter: counter))
        XCTAssertEqual(counter.count, 1, "a present, verified file is not rebuilt")
        XCTAssertEqual(scratchEntries(), [])
        XCTAssertTrue(lines.all.contains { $0.hasPrefix("fetching demo from a test recipe...") }, "\(lines.all)")
    }

    /// A corrected recipe (same size, new digest) must not be served the old cached bytes.
    func testARecipeWithANewDigestRebuildsTheSameSizedFile() throws {
        let counter = Counter()
        try store.materialise(recipe(counter: counter))
        let jello = Array("jello\n".utf8)
        let corrected = SHA256.hex(of: Data(jello))
        let path = try store.materialise(recipe(sha256: corrected, counter: counter, build: { _, output in
            counter.increment()
            try Data(jello).write(to: output)
        }))
        XCTAssertEqual(try Data(contentsOf: path), Data(jello))
        XCTAssertEqual(counter.count, 2)
        try store.materialise(recipe(sha256: corrected, counter: counter))
        XCTAssertEqual(counter.count, 2, "verified once, then served from the cache")
    }

    func testChecksumMismatchLeavesNoCacheEntry() throws {
        let wrong = String(repeating: "0", count: 64)
        XCTAssertThrowsError(try store.materialise(recipe(sha256: wrong))) { error in
            guard case EngineError.asset(let name, let reason)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "demo")
            XCTAssertTrue(reason.contains("sha256 mismatch"), reason)
            XCTAssertTrue(reason.contains(Self.helloSHA), reason)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("corpora/demo.txt").path))
        XCTAssertEqual(scratchEntries(), [], "the temporary build directory is removed")

        XCTAssertThrowsError(try store.materialise(recipe(size: 7))) { error in
            XCTAssertTrue("\(error)".contains("6 bytes, expected 7"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("corpora/demo.txt").path))
    }

    func testFailedCommandNamesCommandAndStderrTail() throws {
        let failing = recipe(build: { work, _ in
            try ExternalCommand.run(["sh", "-c", "echo progress; echo 'ERROR: No matching distribution' >&2; exit 3"],
                                    in: work, logName: "fake-pip")
        })
        XCTAssertThrowsError(try store.materialise(failing)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("asset 'demo': "), text)
            XCTAssertTrue(text.contains("`sh -c echo progress;"), text)
            XCTAssertTrue(text.contains("exit status 3"), text)
            XCTAssertTrue(text.contains("ERROR: No matching distribution"), text)
        }
        let missing = recipe(build: { work, _ in
            try ExternalCommand.run(["twossp-no-such-program-x"], in: work, logName: "missing")
        })
        XCTAssertThrowsError(try store.materialise(missing)) { error in
            XCTAssertTrue("\(error)".contains("twossp-no-such-program-x"), "\(error)")
            XCTAssertTrue("\(error)".contains("exit status 127"), "\(error)")
        }
        XCTAssertEqual(scratchEntries(), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("corpora/demo.txt").path))
    }

    func testDamagedCacheIsRebuiltWhenVerifying() throws {
        let counter = Counter()
        let path = try store.materialise(recipe(counter: counter))
        try Data("HELLO\n".utf8).write(to: path)  // same size, other bytes
        try store.materialise(recipe(counter: counter))
        XCTAssertEqual(counter.count, 1, "without verification the size check trusts the file")
        try store.materialise(recipe(counter: counter), verifyExisting: true)
        XCTAssertEqual(counter.count, 2)
        XCTAssertEqual(try Data(contentsOf: path), Data(Self.hello))
        try Data("truncated".utf8.prefix(3)).write(to: path)
        try store.materialise(recipe(counter: counter))
        XCTAssertEqual(counter.count, 3, "a wrong size is always rebuilt")
    }

    func testConcurrentFetchesBuildOnce() throws {
        let counter = Counter()
        let store = self.store
        let slow = recipe(counter: counter, delay: 0.5)
        let results = LogLines()
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            do { results.append(try store.materialise(slow).path) } catch { results.append("error: \(error)") }
        }
        XCTAssertEqual(counter.count, 1)
        XCTAssertEqual(Set(results.all), [root.appendingPathComponent("corpora/demo.txt").path])
        XCTAssertTrue(lines.all.contains("waiting for another process fetching demo..."), "\(lines.all)")
    }

    func testLeftoversOfAKilledBuildAreCleared() throws {
        let stale = root.appendingPathComponent("tmp/demo.AbC123")
        try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: true)
        try Data("partial".utf8).write(to: stale.appendingPathComponent("output"))
        try store.materialise(recipe())
        XCTAssertEqual(scratchEntries(), [])
    }

    func testResolveTakesPathsAndRejectsUnknownNames() throws {
        XCTAssertEqual(AssetCache.builtinModels, ["smollm2-135m"])
        XCTAssertEqual(AssetCache.builtinCorpora, ["wiki", "shakespeare", "austen"])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("twossp-resolve-\(getpid()).txt")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        XCTAssertEqual(try AssetCache.resolveCorpus(file.path), file.path)
        XCTAssertEqual(try AssetCache.resolveModel(file.path), file.path)
        XCTAssertThrowsError(try AssetCache.resolveModel("smollm2-999m")) { error in
            guard case EngineError.io(let path, let reason)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "smollm2-999m")
            XCTAssertTrue(reason.contains("smollm2-135m"), reason)
        }
        XCTAssertThrowsError(try AssetCache.resolveCorpus("/nonexistent/corpus.txt"))
    }
}
