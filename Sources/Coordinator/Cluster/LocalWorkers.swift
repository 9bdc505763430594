import Foundation

/// Worker processes the coordinator starts on its own host (`--workers N`): the cores are
/// split between them so their compute threads do not oversubscribe. They are stopped with the run.
final class LocalWorkers {
    private(set) var processes: [Process] = []

    /// The twossp-worker binary next to this executable.
    static func workerBinary() throws -> String {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let candidate = me.deletingLastPathComponent().appendingPathComponent("twossp-worker").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw UsageError("cannot find twossp-worker next to \(me.path) (build both products: swift build -c release)")
        }
        return candidate
    }

    init(count: Int, endpoint: String, threadsEach: Int, modelPath: String?, logDirectory: String?) throws {
        let binary = try Self.workerBinary()
        for i in 0..<count {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            var args = ["--connect", endpoint, "--threads", String(threadsEach), "--name", "local-\(i)", "--wait-seconds", "60"]
            if let modelPath { args += ["--model", modelPath] }
            p.arguments = args
            var env = ProcessInfo.processInfo.environment
            env["OPENBLAS_NUM_THREADS"] = String(threadsEach)
            p.environment = env
            if let logDirectory {
                let path = (logDirectory as NSString).appendingPathComponent("worker-\(i).log")
                FileManager.default.createFile(atPath: path, contents: nil)
                p.standardError = FileHandle(forWritingAtPath: path)
            }
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            processes.append(p)
        }
    }

    /// A local worker that has exited, with its status.
    func exited() -> (index: Int, status: Int32)? {
        for (i, p) in processes.enumerated() where !p.isRunning { return (i, p.terminationStatus) }
        return nil
    }

    /// Waits briefly for an orderly exit, then kills whatever is left.
    func stop(grace: TimeInterval = 5) {
        let deadline = Date().addingTimeInterval(grace)
        while processes.contains(where: { $0.isRunning }) && Date() < deadline { usleep(20_000) }
        for p in processes where p.isRunning { p.terminate() }
        for p in processes { p.waitUntilExit() }
    }

    deinit { for p in processes where p.isRunning { p.terminate() } }
}
