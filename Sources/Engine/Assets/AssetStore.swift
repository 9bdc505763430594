#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Materialises recipes in a cache directory. A build happens in a fresh temporary directory
/// inside the cache, is checked (size, sha256), and only then renamed into place, so the cache
/// never holds a half-written or unverified file. A per-asset flock lets concurrent processes
/// share the work: the second one waits and then finds the file ready.
struct AssetStore: Sendable {
    let root: URL
    let log: @Sendable (String) -> Void

    init(root: URL, log: @escaping @Sendable (String) -> Void = AssetStore.logToStandardError) {
        self.root = root
        self.log = log
    }

    static let logToStandardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    func location(of recipe: AssetRecipe) -> URL {
        root.appendingPathComponent(recipe.relativePath)
    }

    /// The cached file, built first if absent. A present file of the right size is trusted
    /// (it was verified before it was renamed into place) unless `verifyExisting`, which
    /// re-hashes it and rebuilds it on a mismatch.
    @discardableResult
    func materialise(_ recipe: AssetRecipe, verifyExisting: Bool = false) throws -> URL {
        let final = location(of: recipe)
        // Fast path: the right size and a record that this very digest was verified. A recipe
        // whose expected digest changed (a corrected corpus) no longer matches its record.
        if !verifyExisting && fileSize(final.path) == recipe.size && verifiedDigest(of: final) == recipe.sha256 { return final }

        let locks = root.appendingPathComponent("locks"), scratch = root.appendingPathComponent("tmp")
        try makeDirectory(locks, for: recipe)
        try makeDirectory(scratch, for: recipe)
        let lock = try FileLock(path: locks.appendingPathComponent("\(recipe.name).lock").path) {
            log("waiting for another process fetching \(recipe.name)...")
        }
        defer { lock.unlock() }

        if let size = fileSize(final.path) {
            // Someone else may have built it while we waited, or it is damaged.
            var problem: String?
            if size != recipe.size {
                problem = "has \(size) bytes, expected \(recipe.size)"
            } else if verifyExisting || verifiedDigest(of: final) != recipe.sha256 {
                let digest = try SHA256.hex(ofFileAt: final.path)
                if digest != recipe.sha256 { problem = "has sha256 \(digest), expected \(recipe.sha256)" }
            }
            guard let problem else { recordVerifiedDigest(recipe.sha256, of: final); return final }
            log("cached \(recipe.name) at \(final.path) \(problem); fetching it again")
            try? FileManager.default.removeItem(at: final)
        }

        removeLeftovers(of: recipe, in: scratch)  // from a process killed mid-build; we hold the lock
        let work = try makeTemporaryDirectory(in: scratch, for: recipe)
        defer { try? FileManager.default.removeItem(at: work) }

        log("fetching \(recipe.name) from \(recipe.source)...")
        let start = Date()
        let output = work.appendingPathComponent("output")
        do {
            try recipe.build(work, output)
        } catch let failure as ExternalCommand.Failure {
            throw EngineError.asset(name: recipe.name, reason: failure.description)
        } catch let error as EngineError {
            if case .asset = error { throw error }
            throw EngineError.asset(name: recipe.name, reason: error.description)
        } catch {
            throw EngineError.asset(name: recipe.name, reason: "\(error)")
        }
        try verify(output, against: recipe)
        try makeDirectory(final.deletingLastPathComponent(), for: recipe)
        guard rename(output.path, final.path) == 0 else {
            throw EngineError.asset(name: recipe.name,
                reason: "cannot move the built file to \(final.path): \(String(cString: strerror(errno)))")
        }
        recordVerifiedDigest(recipe.sha256, of: final)
        let seconds = Date().timeIntervalSince(start)
        log(String(format: "%@: ready, %.1f MB, sha256 ok, %.1f s -> %@",
                   recipe.name, Double(recipe.size) / 1e6, seconds, final.path))
        return final
    }

    /// Size and sha256 of a built file against the recipe.
    func verify(_ file: URL, against recipe: AssetRecipe) throws {
        guard let size = fileSize(file.path) else {
            throw EngineError.asset(name: recipe.name, reason: "the build step produced no file")
        }
        guard size == recipe.size else {
            throw EngineError.asset(name: recipe.name,
                reason: "built file has \(size) bytes, expected \(recipe.size) (checksum mismatch); nothing was cached")
        }
        let digest = try SHA256.hex(ofFileAt: file.path)
        guard digest == recipe.sha256 else {
            throw EngineError.asset(name: recipe.name,
                reason: "sha256 mismatch: built file has \(digest), expected \(recipe.sha256); nothing was cached")
        }
    }

    /// The digest last verified for a cached file (a `.sha256` file beside it), if any.
    private func verifiedDigest(of file: URL) -> String? {
        (try? String(contentsOfFile: file.path + ".sha256", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func recordVerifiedDigest(_ digest: String, of file: URL) {
        try? Data((digest + "\n").utf8).write(to: URL(fileURLWithPath: file.path + ".sha256"), options: .atomic)
    }

    // MARK: - File system helpers

    private func fileSize(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    private func makeDirectory(_ url: URL, for recipe: AssetRecipe) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw EngineError.asset(name: recipe.name,
                reason: "cannot create cache directory \(url.path): \(error.localizedDescription)")
        }
    }

    private func makeTemporaryDirectory(in scratch: URL, for recipe: AssetRecipe) throws -> URL {
        var template = Array(scratch.appendingPathComponent("\(recipe.name).XXXXXX").path.utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
        }
        guard let made else {
            throw EngineError.asset(name: recipe.name,
                reason: "cannot create a temporary directory in \(scratch.path): \(String(cString: strerror(errno)))")
        }
        return URL(fileURLWithPath: made, isDirectory: true)
    }

    private func removeLeftovers(of recipe: AssetRecipe, in scratch: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? []
        for name in names where name.hasPrefix(recipe.name + ".") {
            try? FileManager.default.removeItem(at: scratch.appendingPathComponent(name))
        }
    }
}
