// Stand-in for `twossp bench tokenizer` until the CLI exposes it: compiled by
// bench/tokenizer_bench.py together with Sources/Engine (same module, so no import).
import Foundation

let args = CommandLine.arguments
guard args.count == 3 else {
    FileHandle.standardError.write(Data("usage: tokenizer-harness MODEL TEXT\n".utf8))
    exit(2)
}
do {
    let result = try TokenizerBenchmark.run(modelPath: args[1], textPath: args[2])
    print("{\"tokens\": \(result.tokens), \"seconds\": \(result.seconds)}")
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
