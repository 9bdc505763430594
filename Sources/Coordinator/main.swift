import Engine
import Foundation
import Host

CPUFeatures.requireEngineSupport(program: "twossp")

/// `twossp`: the user's command line. Each subcommand parses its own options; errors print
/// one line on stderr — exit 64 for bad usage, 1 for everything else.
let commands: [(name: String, summary: String, run: ([String]) throws -> Void)] = [
    ("eval", "perplexity of a model on text or token ids", EvalCommand.run),
    ("tokenize", "token ids of a text (no special tokens unless asked)", TokenizeCommand.run),
    ("fetch", "download the built-in model and corpora into the cache", FetchCommand.run),
    ("prune", "2SSP: prune a model to a target sparsity, evaluate, write it", PruneCommand.run),
    ("keygen", "make a CURVE key pair for secure clusters", KeygenCommand.run),
    ("bench", "benchmarks: `bench engine`", BenchCommand.run),
]

let topUsage = """
usage: twossp <command> [options]      (twossp <command> --help for its options)

commands:
\(commands.map { "  " + $0.name.padding(toLength: 10, withPad: " ", startingAt: 0) + $0.summary }.joined(separator: "\n"))

Built-in model: smollm2-135m.  Built-in corpora: wiki, shakespeare, austen.
Cache: $TWOSSP_CACHE (default ~/.cache/twossp).
"""

func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write("twossp: \(message)\n")
    exit(code)
}

var argv = Array(CommandLine.arguments.dropFirst())
guard let name = argv.first else { fail("missing command\n\(topUsage)", code: 64) }
if name == "--help" || name == "-h" || name == "help" { print(topUsage); exit(0) }
guard let command = commands.first(where: { $0.name == name }) else {
    fail("unknown command '\(name)' (try twossp --help)", code: 64)
}
do {
    try command.run(Array(argv.dropFirst()))
} catch let error as UsageError {
    fail("\(name): \(error.description) (see twossp \(name) --help)", code: 64)
} catch let error as EngineError {
    fail("error: \(error.description)", code: 1)
} catch {
    fail("error: \(error)", code: 1)
}
