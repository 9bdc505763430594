import Engine
import Foundation
import XCTest
@testable import Protocol

/// Every message survives encode → decode; malformed and foreign frames are WireErrors.
final class MessageCodecTests: XCTestCase {
    let config = ModelConfig(modelType: "qwen2", hiddenSize: 8, intermediateSize: 12, numHiddenLayers: 3, numAttentionHeads: 2,
                             numKeyValueHeads: 1, headDim: 4, vocabSize: 11, rmsNormEps: 1e-6, ropeTheta: 1e6,
                             ropeScaling: .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192),
                             maxPositionEmbeddings: 64, tieWordEmbeddings: true, attentionBias: true, removedAttentionBlocks: [1])

    func samples() -> [Message] {
        let hidden = Tensor(shape: [2, 3], data: [1, -2, 3.5, .infinity, 0, -0.0])
        return [
            .hello(Hello(sessionID: "abc123", name: "w", hostname: "h", pid: 42, threads: 2, modelPath: "/m.gguf")),
            .hello(Hello(sessionID: "s", name: "", hostname: "ü", pid: 1, threads: 1, modelPath: nil)),
            .welcome(Welcome(workerIndex: 3, heartbeatMs: 1000)),
            .reject("no"), .heartbeat, .bye("done"),
            .loadShard(LoadShard(shardID: 1, blocks: 1..<3, embedding: false, head: true, config: config, fromLocalFile: false, streamedTensorCount: 9)),
            .shardReady(shardID: 1, seconds: 0.25),
            .tensors(TensorBundle([("a", hidden), ("b.weight", Tensor(shape: [0], data: []))])),
            .setWidth(SetWidth(keptNeurons: [[0, 2], [1, 5]], roundTo: "bf16")),
            .setWidth(SetWidth(keptNeurons: [])), .widthSet,
            .forward(ForwardTask(taskID: 7, blocks: 0..<2, sequenceLength: 3, removedAttention: [0, 4], input: .ids([1, 2, -3]),
                                 cacheInputs: true, collectNorms: true, lossTargets: [4, 5, 6], returnHidden: false)),
            .forward(ForwardTask(taskID: 8, blocks: 2..<3, sequenceLength: 2, removedAttention: [], input: .hidden(hidden))),
            .forward(ForwardTask(taskID: 9, blocks: 1..<3, sequenceLength: 2, removedAttention: [2], input: .cached)),
            .forwardResult(ForwardResult(taskID: 7, hidden: hidden, norms: [[[1, 2]], [[3.25, .pi]]], losses: [SequenceLoss(sum: 1.5, count: 2)], seconds: 2)),
            .forwardResult(ForwardResult(taskID: 8, hidden: nil)),
            .gatherWeights(removedAttention: [3, 1]),
            .failure(taskID: 5, message: "boom"), .failure(taskID: nil, message: ""),
            .workerStats(WorkerStats(peakRSSBytes: 123_456_789, tasks: 42, computeSeconds: 1.5)),
        ]
    }

    func testRoundTrip() throws {
        for m in samples() {
            XCTAssertEqual(try MessageCodec.decode(MessageCodec.encode(m)), m, "\(m)")
        }
    }

    func testTensorsTravelAsRawLittleEndianFrames() throws {
        let frames = MessageCodec.encode(.forward(ForwardTask(taskID: 1, blocks: 0..<1, sequenceLength: 1, removedAttention: [],
                                                              input: .hidden(Tensor(shape: [1, 2], data: [1, -2])))))
        XCTAssertEqual(frames.count, 2)
        XCTAssertEqual([UInt8](frames[1]), [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
        XCTAssertEqual([UInt8](frames[0].prefix(4)), Array("2SSP".utf8))
    }

    func testEveryTruncationIsAnErrorNotACrash() {
        for m in samples() {
            let frames = MessageCodec.encode(m)
            for cut in 0..<frames[0].count {
                XCTAssertThrowsError(try MessageCodec.decode([frames[0].prefix(cut)] + frames.dropFirst()), "\(m) cut at \(cut)")
            }
            if frames.count > 1 {
                XCTAssertThrowsError(try MessageCodec.decode(Array(frames.dropLast())), "\(m) without its last data frame")
                var shortened = frames
                shortened[1] = shortened[1].dropLast()
                XCTAssertThrowsError(try MessageCodec.decode(shortened), "\(m) with a short data frame")
            }
            XCTAssertThrowsError(try MessageCodec.decode(frames + [Data([1])]), "\(m) with an extra frame")
        }
    }

    func testForeignAndGarbageFrames() {
        XCTAssertThrowsError(try MessageCodec.decode([])) { XCTAssertTrue("\($0)".contains("empty")) }
        XCTAssertThrowsError(try MessageCodec.decode([Data("GET / HTTP/1.1\r\n".utf8)])) { XCTAssertTrue("\($0)".contains("bad magic"), "\($0)") }
        XCTAssertThrowsError(try MessageCodec.decode([Data("2SSP".utf8) + Data([200])])) { XCTAssertTrue("\($0)".contains("unknown message type 200")) }
        // An absurd length prefix must not allocate or crash.
        var w = WireWriter(); w.raw(WireVersion.magic); w.u8(3); w.u32(.max)
        XCTAssertThrowsError(try MessageCodec.decode([Data(w.bytes)]))
        var seed: UInt64 = 1
        for _ in 0..<2000 {
            var bytes = WireVersion.magic
            for _ in 0..<Int(seed % 40) { seed = seed &* 6364136223846793005 &+ 1; bytes.append(UInt8(truncatingIfNeeded: seed >> 33)) }
            _ = try? MessageCodec.decode([Data(bytes)])
        }
    }

    func testOtherMajorVersionDecodesToItsVersionOnly() throws {
        var w = WireWriter(); w.raw(WireVersion.magic); w.u8(1); w.u16(WireVersion.major + 1); w.u16(0); w.raw([9, 9, 9])
        guard case .hello(let h) = try MessageCodec.decode([Data(w.bytes)]) else { return XCTFail() }
        XCTAssertEqual(h.wireMajor, WireVersion.major + 1)
    }
}
