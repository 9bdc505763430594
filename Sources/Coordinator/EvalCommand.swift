import Engine
import Foundation

/// `twossp eval`: perplexity of a model on text or token ids under the paper's protocol.
enum EvalCommand {
    static let usage = """
    usage: twossp eval --model MODEL (--text TEXT | --ids IDS) [options]

    Perplexity of MODEL on non-overlapping windows (the paper's protocol: each window starts
    with no context; the tail that does not fill a window is dropped).

      --model MODEL         HF directory (config.json + safetensors), .gguf file, or a built-in
                            name (smollm2-135m), fetched on first use into $TWOSSP_CACHE
      --text TEXT           text file, or a built-in corpus (wiki, shakespeare, austen)
      --ids IDS             file of little-endian int32 token ids, or an inline list 1,2,3
      --seq-len N           window length in tokens (default 2048)
      --windows N           evaluate only the first N windows (default: all)
      --offset-tokens N     skip the first N tokens (e.g. a calibration range)
      --batch N             windows per forward pass (default 1)
      --threads N           compute threads (default: all cores)
      --json                print one JSON object instead of a table
      --quiet               no progress on stderr
    """

    static func run(_ argv: [String]) throws {
        let args = try Arguments(argv, options: ["model", "text", "ids", "seq-len", "windows", "offset-tokens", "batch", "threads"],
                                 flags: ["json", "quiet"])
        if args.helpRequested { print(usage); return }
        Progress.quiet = args.flag("quiet")
        let modelArg = try args.required("model")
        let seqLen = try args.int("seq-len", default: 2048, range: 2...1_048_576)!
        let windowLimit = try args.int("windows", range: 1...Int.max)
        let offset = try args.int("offset-tokens", default: 0)!
        let batch = try args.int("batch", default: 1, range: 1...4096)!
        if let threads = try args.int("threads", range: 1...1024) { ComputeThreads.set(threads) }
        let textArg = args.string("text"), idsArg = args.string("ids")
        guard (textArg == nil) != (idsArg == nil) else { throw UsageError("give exactly one of --text or --ids") }

        let started = Date()
        let modelPath = try AssetCache.resolveModel(modelArg)
        let opened = try ModelFiles.open(modelPath)
        let ids: [Int32]
        let source: String
        if let idsArg {
            ids = try TokenIDs.parse(idsArg)
            source = idsArg.count > 80 ? String(idsArg.prefix(77)) + "..." : idsArg
        } else {
            let textPath = try AssetCache.resolveCorpus(textArg!)
            note("tokenizing \(textPath)...")
            ids = try TextInput.tokenize(path: textPath, modelPath: modelPath)
            source = textArg!
        }
        let windows = try Perplexity.windows(of: ids, sequenceLength: seqLen, offset: offset, limit: windowLimit)
        note("loading \(modelPath)...")
        var model = try LlamaModel.load(config: opened.config, source: opened.tensors)
        let progress = Progress("eval", total: windows.count)
        let computeStart = Date()
        let result = try Perplexity.evaluate(model: &model, windows: windows, batchSize: batch) { done, _ in
            progress.update(done)
        }
        let seconds = Date().timeIntervalSince(computeStart)
        let tokens = windows.count * seqLen
        let report: [String: Any] = [
            "model": modelArg, "source": source, "perplexity": result.perplexity, "mean_nll": result.meanNLL,
            "windows": result.windows, "tokens_scored": result.tokensScored, "seq_len": seqLen,
            "offset_tokens": offset, "seconds": seconds, "tokens_per_second": Double(tokens) / seconds,
            "wall_seconds": Date().timeIntervalSince(started),
        ]
        if args.flag("json") {
            print(try JSONText.encode(report))
        } else {
            print(String(format: "perplexity %.4f  (mean NLL %.5f over %d tokens in %d windows of %d; %.1f tokens/s)",
                         result.perplexity, result.meanNLL, result.tokensScored, result.windows, seqLen,
                         Double(tokens) / seconds))
        }
    }
}

/// Token ids given on the command line: a file of little-endian int32, or "1,2,3".
enum TokenIDs {
    static func parse(_ arg: String) throws -> [Int32] {
        let inline = !arg.isEmpty && arg.allSatisfy { $0.isNumber || $0 == "," || $0 == " " || $0 == "-" }
        if inline && !FileManager.default.fileExists(atPath: arg) {
            return try arg.split(separator: ",").map { part in
                guard let v = Int32(part.trimmingCharacters(in: .whitespaces)) else {
                    throw UsageError("--ids: '\(part)' is not a token id")
                }
                return v
            }
        }
        guard let data = FileManager.default.contents(atPath: arg) else {
            throw EngineError.io(path: arg, reason: "cannot read token id file")
        }
        guard data.count % 4 == 0 else {
            throw EngineError.corruptFile(path: arg, reason: "\(data.count) bytes is not a whole number of int32 token ids")
        }
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
        }
    }
}

/// Sets the engine's compute threads (OpenBLAS itself always runs single-threaded).
enum ComputeThreads {
    static func set(_ n: Int) { Parallel.width = n }
}

/// Stable JSON for reports: sorted keys, one object per line.
enum JSONText {
    static func encode(_ object: Any, pretty: Bool = false) throws -> String {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        let data = try JSONSerialization.data(withJSONObject: object, options: options)
        return String(decoding: data, as: UTF8.self)
    }
}
