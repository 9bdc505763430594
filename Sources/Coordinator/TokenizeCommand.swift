import Engine
import Foundation

/// `twossp tokenize`: token ids of a text with the model's tokenizer, without special tokens
/// unless asked (the 2SSP protocol), as a file of little-endian int32 and/or a JSON summary.
enum TokenizeCommand {
    static let usage = """
    usage: twossp tokenize --model MODEL --text TEXT [--out IDS.bin] [--json] [--add-special-tokens]

      --model MODEL           HF directory with tokenizer.json, .gguf (vocabulary inside), or built-in name
      --text TEXT             text file or built-in corpus (wiki, shakespeare, austen)
      --out FILE              write the ids as little-endian int32
      --json                  print {tokens, first (first 32 ids), sha256 (of the int32 LE ids), seconds}
      --add-special-tokens    add BOS/EOS as the tokenizer's post-processor says
    """

    static func run(_ argv: [String]) throws {
        let args = try Arguments(argv, options: ["model", "text", "out"], flags: ["json", "add-special-tokens", "quiet"])
        if args.helpRequested { print(usage); return }
        Progress.quiet = args.flag("quiet")
        let modelPath = try AssetCache.resolveModel(try args.required("model"))
        let textPath = try AssetCache.resolveCorpus(try args.required("text"))
        let text = try TextInput.read(textPath)
        let tokenizer = try TokenizerLoader.load(modelPath: modelPath)
        let start = Date()
        let ids = tokenizer.encode(text, addSpecialTokens: args.flag("add-special-tokens"))
        let seconds = Date().timeIntervalSince(start)
        if let out = args.string("out") {
            try PrunedModelWriter.atomicWrite(ids.map { $0.littleEndian }.withUnsafeBytes { Data($0) }, to: out)
        }
        let digest = TokenIdDigest.sha256Hex(ids)
        if args.flag("json") {
            print(try JSONText.encode(["tokens": ids.count, "first": Array(ids.prefix(32)), "sha256": digest,
                                       "seconds": seconds, "text": textPath, "bytes": text.utf8.count]))
        } else {
            print("\(ids.count) tokens (sha256 \(digest)) in \(String(format: "%.2f", seconds)) s")
        }
    }
}
