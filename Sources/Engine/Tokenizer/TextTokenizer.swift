/// Text ↔ token ids, exactly as HF `tokenizers` does for the same tokenizer.
///
/// 2SSP tokenizes calibration and evaluation text once, without special tokens: a single id that
/// differs from the reference changes perplexities and can change pruning decisions.
public protocol TextTokenizer: Sendable {
    /// One more than the largest id the tokenizer can produce (model vocabulary and added tokens).
    var vocabularySize: Int { get }
    /// Token ids of `text`; with `addSpecialTokens` the post-processor's BOS/EOS are added.
    func encode(_ text: String, addSpecialTokens: Bool) -> [Int32]
    /// Text of `ids` through the tokenizer's decoder (special tokens kept, unknown ids skipped).
    func decode(_ ids: [Int32]) -> String
}
