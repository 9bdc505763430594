import Foundation
import XCTest
@testable import Engine

/// The golden values of assets.md on the real SmolLM2-135M weights (dequantised fp32).
final class SmolLM2GoldenTests: XCTestCase {
    static let goldenIDs: [Int32] = [504, 2365, 6354, 16438, 27003, 690, 260, 23790, 2767, 281, 216, 34, 32, 34, 36, 30]

    static func modelPath() throws -> String {
        let path = ProcessInfo.processInfo.environment["TWOSSP_TEST_MODEL_GGUF"]
            ?? AssetCache.directory.appendingPathComponent("models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("SmolLM2 not cached at \(path): run `twossp fetch` first")
        }
        return path
    }

    func testGoldenLogitsArgmaxAndLoss() throws {
        let opened = try ModelFiles.open(Self.modelPath())
        var model = try LlamaModel.load(config: opened.config, source: opened.tensors)
        var hidden = try model.embed(Self.goldenIDs)
        try model.runBlocks(hidden: &hidden, sequenceLength: 16)
        let logits = try model.logits(hidden: hidden)
        let vocab = opened.config.vocabSize
        let expected: [Float] = [15.6553, 6.8245, 10.5912, 5.1095, 6.5944]
        for (i, e) in expected.enumerated() {
            XCTAssertEqual(logits.data[i], e, accuracy: 2e-3, "logits[0][\(i)]")
        }
        let last = logits.data[(15 * vocab)..<(16 * vocab)]
        XCTAssertEqual(last.indices.max { last[$0] < last[$1] }! - 15 * vocab, 198, "argmax at the last position is \"\\n\"")
        let loss = try model.nextTokenLoss(hidden: hidden, ids: Self.goldenIDs, sequenceLength: 16)
        XCTAssertEqual(loss[0].mean, 3.38144, accuracy: 1e-3)
        XCTAssertEqual(loss[0].count, 15)
    }

    /// A window through a sharded model, batched or not, at any thread count, gives the same bits:
    /// the basis of "identical whatever the worker count".
    func testBitsDoNotDependOnShardingBatchingOrThreads() throws {
        let opened = try ModelFiles.open(Self.modelPath())
        let ids = (0..<(2 * 160)).map { Int32(($0 * 7919) % 49152) }
        func run(threads: Int, batched: Bool, split: Int?) throws -> [Double] {
            let savedWidth = Parallel.width
            defer { Parallel.width = savedWidth }
            Parallel.width = threads
            var a = try LlamaModel.load(config: opened.config, source: opened.tensors, blocks: 0..<(split ?? 30), embedding: true, head: split == nil)
            var b = try split.map { try LlamaModel.load(config: opened.config, source: opened.tensors, blocks: $0..<30, embedding: false, head: true) }
            let windows = batched ? [ids] : [Array(ids[0..<160]), Array(ids[160...])]
            var out: [Double] = []
            for w in windows {
                var h = try a.embed(w)
                try a.runBlocks(hidden: &h, sequenceLength: 160)
                if b != nil { try b!.runBlocks(hidden: &h, sequenceLength: 160) }
                out += try (b ?? a).nextTokenLoss(hidden: h, ids: w, sequenceLength: 160).map { $0.sum }
            }
            return out
        }
        let reference = try run(threads: 2, batched: false, split: nil)
        XCTAssertEqual(try run(threads: 1, batched: false, split: nil).map(\.bitPattern), reference.map(\.bitPattern), "1 vs 2 threads")
        XCTAssertEqual(try run(threads: 2, batched: true, split: nil).map(\.bitPattern), reference.map(\.bitPattern), "batched")
        XCTAssertEqual(try run(threads: 1, batched: false, split: 11).map(\.bitPattern), reference.map(\.bitPattern), "sharded at block 11")
    }
}
