import Foundation

/// Runs a helper program (pip, apt-get, dpkg-deb) for an asset fetch. Its stdout and stderr go
/// to files in the work directory, not pipes, so a chatty child can never block on a full pipe;
/// on failure the error quotes the command and the tail of what it printed.
enum ExternalCommand {
    struct Failure: Error {
        let command: String
        let status: Int32
        let outputTail: String
        var description: String {
            "`\(command)` failed (exit status \(status))" + (outputTail.isEmpty ? "" : ":\n\(outputTail)")
        }
    }

    /// Runs `arguments` (looked up on PATH) in `directory`; throws `Failure` on a non-zero exit.
    static func run(_ arguments: [String], in directory: URL, logName: String) throws {
        let command = arguments.joined(separator: " ")
        let logURL = directory.appendingPathComponent(".\(logName).log")
        guard FileManager.default.createFile(atPath: logURL.path, contents: nil),
              let log = try? FileHandle(forWritingTo: logURL) else {
            throw Failure(command: command, status: -1, outputTail: "cannot create log file \(logURL.path)")
        }
        defer { try? log.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        var environment = ProcessInfo.processInfo.environment
        environment["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        environment["PIP_NO_INPUT"] = "1"
        environment["DEBIAN_FRONTEND"] = "noninteractive"
        process.environment = environment
        do {
            try process.run()
        } catch {
            throw Failure(command: command, status: -1, outputTail: "could not start: \(error.localizedDescription)")
        }
        process.waitUntilExit()
        let status = process.terminationReason == .exit ? process.terminationStatus : -process.terminationStatus
        guard status == 0 else {
            throw Failure(command: command, status: status, outputTail: tail(of: logURL))
        }
    }

    /// The last lines of a log, short enough for an error message.
    static func tail(of url: URL, lines: Int = 12, characters: Int = 2000) -> String {
        guard let data = try? Data(contentsOf: url) else { return "" }
        let text = String(decoding: data.suffix(64 * 1024), as: UTF8.self)
        let kept = text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines)
        return String(kept.joined(separator: "\n").suffix(characters))
    }
}
