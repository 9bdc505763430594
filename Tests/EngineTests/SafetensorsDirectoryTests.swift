import Foundation
import XCTest
@testable import Engine

/// HFDirectorySource over single-file and sharded Hugging Face directories.
final class SafetensorsDirectoryTests: XCTestCase {
    private var scratch: URL!
    private let sharded = SafetensorsTestSupport.fixture("tiny-llama-sharded")

    override func setUpWithError() throws { scratch = try SafetensorsTestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// A copy of the sharded fixture directory that a test may damage.
    private func copyOfSharded() throws -> URL {
        let copy = scratch.appendingPathComponent("model")
        try FileManager.default.copyItem(atPath: sharded, toPath: copy.path)
        return copy
    }

    /// Every tensor of a model saved by transformers' `save_pretrained` in three bf16 shards reads
    /// back with torch's own fp32 values (hash of all values, and two tensors value by value).
    func testShardedModelSavedByTransformersLoadsExactly() throws {
        let source = try HFDirectorySource(directory: sharded)
        let expected = try XCTUnwrap(SafetensorsTestSupport.json("tiny-llama-sharded.expected.json") as? [String: [String: Any]])
        XCTAssertEqual(source.tensorNames, expected.keys.sorted())
        XCTAssertEqual(source.tensorNames.count, 21)
        for (name, entry) in expected {
            let tensor = try source.load(name)
            XCTAssertEqual(tensor.shape, entry["shape"] as? [Int], name)
            XCTAssertEqual(source.shape(of: name), tensor.shape, name)
            XCTAssertEqual(TestSHA256.hex(floats: tensor.data), entry["fp32_sha256"] as? String, name)
            if let bits = entry["bits"] as? [Int] {
                SafetensorsTestSupport.assertBitsEqual(SafetensorsTestSupport.bits(tensor),
                                                       bits.map { UInt32(bitPattern: Int32($0)) }, name)
            }
        }
        // Spot check by hand: norm weights were set to linspace(0.5, 1.5, 8) in bf16.
        XCTAssertEqual(try source.load("model.norm.weight").data.first, 0.5)
        XCTAssertEqual(try source.load("model.norm.weight").data.last, 1.5)
        XCTAssertEqual(source.file(of: "lm_head.weight"), sharded + "/model-00003-of-00003.safetensors")
        XCTAssertEqual(source.shape(of: "model.layers.1.self_attn.k_proj.weight"), [4, 8])
    }

    func testReadsTheDirectoryConfig() throws {
        let config = try HFDirectorySource(directory: sharded).readConfig()
        XCTAssertEqual(config, ModelConfig(
            modelType: "llama", hiddenSize: 8, intermediateSize: 12, numHiddenLayers: 2, numAttentionHeads: 2,
            numKeyValueHeads: 1, headDim: 4, vocabSize: 16, rmsNormEps: 1e-6, ropeTheta: 10000,
            maxPositionEmbeddings: 64, tieWordEmbeddings: false, attentionBias: false))
    }

    func testSingleFileDirectory() throws {
        try FileManager.default.copyItem(atPath: SafetensorsTestSupport.fixture("dtypes.safetensors"),
                                         toPath: scratch.appendingPathComponent("model.safetensors").path)
        let source = try HFDirectorySource(directory: scratch.path)
        XCTAssertEqual(source.tensorNames, ["bf16.matrix", "bf16.scalar", "f16.vector", "f32.empty", "f32.matrix", "i64.positions"])
        XCTAssertEqual(try source.load("bf16.scalar").data, [-0.15625])
        XCTAssertThrowsError(try source.readConfig()) { error in
            guard case .io(let path, _)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, scratch.appendingPathComponent("config.json").path)
        }
    }

    func testMissingTensorIsNamed() throws {
        let source = try HFDirectorySource(directory: sharded)
        XCTAssertNil(source.shape(of: "model.layers.2.mlp.up_proj.weight"))
        XCTAssertNil(source.file(of: "model.layers.2.mlp.up_proj.weight"))
        XCTAssertThrowsError(try source.load("model.layers.2.mlp.up_proj.weight")) {
            XCTAssertEqual($0 as? EngineError,
                           .mismatch("\(self.sharded): the model has no tensor named 'model.layers.2.mlp.up_proj.weight'"))
        }
    }

    func testDirectoryWithoutWeights() {
        XCTAssertThrowsError(try HFDirectorySource(directory: scratch.path)) {
            XCTAssertEqual($0 as? EngineError,
                           .io(path: self.scratch.path, reason: "no model.safetensors or model.safetensors.index.json in this directory"))
        }
    }

    func testMissingShardIsNamed() throws {
        let copy = try copyOfSharded()
        let shard = copy.appendingPathComponent("model-00002-of-00003.safetensors").path
        try FileManager.default.removeItem(atPath: shard)
        XCTAssertThrowsError(try HFDirectorySource(directory: copy.path)) {
            XCTAssertEqual($0 as? EngineError, .io(path: shard, reason:
                "shard listed in \(copy.appendingPathComponent("model.safetensors.index.json").path) is missing"))
        }
    }

    func testCorruptShardIsNamed() throws {
        let copy = try copyOfSharded()
        let shard = copy.appendingPathComponent("model-00003-of-00003.safetensors")
        let bytes = try Data(contentsOf: shard)
        try bytes.prefix(bytes.count - 3).write(to: shard)
        XCTAssertThrowsError(try HFDirectorySource(directory: copy.path)) { error in
            guard case .corruptFile(let path, _)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, shard.path)
        }
    }

    func testIndexPointingAtTheWrongShard() throws {
        let copy = try copyOfSharded()
        let index = copy.appendingPathComponent("model.safetensors.index.json")
        let text = try String(contentsOf: index, encoding: .utf8).replacingOccurrences(
            of: #""model.norm.weight": "model-00003-of-00003.safetensors""#,
            with: #""model.norm.weight": "model-00001-of-00003.safetensors""#)
        try text.write(to: index, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try HFDirectorySource(directory: copy.path)) {
            XCTAssertEqual($0 as? EngineError, .mismatch("\(index.path) places tensor 'model.norm.weight' in "
                + "model-00001-of-00003.safetensors, which does not contain it"))
        }
    }

    func testBadIndexFiles() throws {
        let copy = try copyOfSharded()
        let index = copy.appendingPathComponent("model.safetensors.index.json")
        for text in ["{", #"{"metadata": {}}"#, #"{"weight_map": {"a": 1}}"#, #"{"weight_map": {"a": "../outside.safetensors"}}"#] {
            try Data(text.utf8).write(to: index)
            XCTAssertThrowsError(try HFDirectorySource(directory: copy.path), text) { error in
                guard case .corruptFile(let path, _)? = error as? EngineError else { return XCTFail("\(error)") }
                XCTAssertEqual(path, index.path)
            }
        }
    }

    /// Loading one small tensor of a large file maps in only a few pages of it: the file's other
    /// tensors stay out of this process's resident memory until asked for.
    func testLoadingOneTensorFaultsInOnlyItsPages() throws {
        let big = 4 << 20  // 16 MB of f32 on each side of the small tensor
        let tensors: [(name: String, tensor: Tensor)] = [
            ("a", Tensor(zeros: [big])), ("small", Tensor(shape: [16], data: (0..<16).map(Float.init))),
            ("c", Tensor(zeros: [big])),
        ]
        try SafetensorsWriter.write(tensors: tensors, dtype: .f32, metadata: [:],
                                    to: scratch.appendingPathComponent("model.safetensors").path)
        let source = try HFDirectorySource(directory: scratch.path)
        let before = try residentFileKB()
        XCTAssertEqual(try source.load("small").data, (0..<16).map(Float.init))
        let afterSmall = try residentFileKB()
        XCTAssertLessThan(afterSmall - before, 1024, "a 64-byte tensor faulted in \(afterSmall - before) kB of file pages")
        _ = try source.load("c")
        let afterBig = try residentFileKB()
        XCTAssertGreaterThan(afterBig - afterSmall, 15 * 1024, "the measurement must see a 16 MB tensor's pages")
    }

    /// Resident file-backed memory of this process (kB), from /proc/self/status.
    private func residentFileKB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssFile:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else {
            throw XCTSkip("no RssFile in /proc/self/status")
        }
        return kb
    }
}
