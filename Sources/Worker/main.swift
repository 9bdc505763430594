import Engine
import Foundation
import Host

CPUFeatures.requireEngineSupport(program: "twossp-worker")

/// `twossp-worker`: serves one twossp coordinator run. Usage errors exit 64.
let usage = """
usage: twossp-worker --connect tcp://HOST:PORT [options]

Connects to a twossp coordinator (`twossp prune --listen ...`), receives a shard of the
model's blocks and computes forward passes for it until the run ends.

  --connect ENDPOINT     the coordinator's address, e.g. tcp://10.0.0.5:5555
  --threads N            compute threads (default: all cores)
  --model PATH           the model on this host (HF directory or .gguf); without it the
                         coordinator streams the shard's weights
  --name NAME            a name for logs (default: hostname:pid)
  --secret-key FILE      this worker's CURVE secret key (from `twossp keygen`)
  --server-key FILE|KEY  the coordinator's CURVE public key (required with --secret-key)
  --wait-seconds N       give up if no coordinator answers within N seconds (default: wait)

Exit status: 0 run finished, 1 error, 2 rejected by the coordinator, 3 coordinator lost, 64 usage.
"""

func usageError(_ message: String) -> Never {
    FileHandle.standardError.write(Data("twossp-worker: \(message) (see twossp-worker --help)\n".utf8))
    exit(64)
}

var values: [String: String] = [:]
var args = Array(CommandLine.arguments.dropFirst())
let known: Set<String> = ["connect", "threads", "model", "name", "secret-key", "server-key", "wait-seconds"]
while !args.isEmpty {
    let arg = args.removeFirst()
    if arg == "--help" || arg == "-h" { print(usage); exit(0) }
    guard arg.hasPrefix("--") else { usageError("unexpected argument '\(arg)'") }
    var name = String(arg.dropFirst(2)), value: String? = nil
    if let eq = name.firstIndex(of: "=") { value = String(name[name.index(after: eq)...]); name = String(name[..<eq]) }
    guard known.contains(name) else { usageError("unknown option '--\(name)'") }
    if value == nil {
        guard !args.isEmpty else { usageError("--\(name) needs a value") }
        value = args.removeFirst()
    }
    values[name] = value
}
guard let endpoint = values["connect"] else { usageError("--connect is required") }
guard endpoint.hasPrefix("tcp://") || endpoint.hasPrefix("ipc://") else { usageError("--connect must be a tcp:// or ipc:// endpoint") }
let threads = values["threads"].map { Int($0) ?? -1 } ?? ProcessInfo.processInfo.activeProcessorCount
guard threads >= 1, threads <= 1024 else { usageError("--threads must be an integer from 1 to 1024") }
let wait = values["wait-seconds"].map { Double($0) ?? -1 }
if let wait, wait <= 0 { usageError("--wait-seconds must be a positive number") }
guard (values["secret-key"] == nil) == (values["server-key"] == nil) else {
    usageError("--secret-key and --server-key go together")
}

func readKey(_ value: String, what: String) -> String {
    if value.utf8.count == 40, !FileManager.default.fileExists(atPath: value) { return value }
    guard let text = try? String(contentsOfFile: value, encoding: .utf8) else {
        FileHandle.standardError.write(Data("twossp-worker: cannot read \(what) file \(value)\n".utf8)); exit(1)
    }
    let key = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        .first { !$0.isEmpty && !$0.hasPrefix("#") } ?? ""
    guard key.utf8.count == 40 else {
        FileHandle.standardError.write(Data("twossp-worker: \(value) does not hold a 40-character Z85 key\n".utf8)); exit(1)
    }
    return key
}

Parallel.width = threads
let options = WorkerService.Options(
    coordinator: endpoint, threads: threads, modelPath: values["model"],
    name: values["name"] ?? "\(ProcessInfo.processInfo.hostName):\(getpid())",
    secretKey: values["secret-key"].map { readKey($0, what: "secret key") },
    serverKey: values["server-key"].map { readKey($0, what: "server key") },
    waitSeconds: wait)
exit(WorkerService(options: options).run().rawValue)
