import Foundation

/// Tokenizer throughput on a text file, for `twossp bench tokenizer` and bench/tokenizer_bench.sh.
public enum TokenizerBenchmark {
    /// Loads the model's tokenizer, reads the text (UTF-8, invalid bytes replaced), then encodes
    /// it whole without special tokens `repeats` times on this thread; returns the token count and
    /// the fastest encode's wall time (loading and reading are not timed).
    public static func run(modelPath: String, textPath: String, repeats: Int = 3) throws -> (tokens: Int, seconds: Double) {
        let tokenizer = try TokenizerLoader.load(modelPath: modelPath)
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: textPath))
        } catch {
            throw EngineError.io(path: textPath, reason: "cannot read text: \(error.localizedDescription)")
        }
        let text = String(decoding: data, as: UTF8.self)
        var best = Double.infinity
        var tokens = 0
        let clock = ContinuousClock()
        for _ in 0..<max(1, repeats) {
            var ids: [Int32] = []
            let elapsed = clock.measure { ids = tokenizer.encode(text, addSpecialTokens: false) }
            tokens = ids.count
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            best = min(best, seconds)
        }
        return (tokens, best)
    }
}
