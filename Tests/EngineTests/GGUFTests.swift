import Foundation
import XCTest
@testable import Engine

// MARK: - A tiny GGUF writer for tests (independent of the reader)

/// Little-endian byte sink.
struct GGUFByteSink {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
}

/// A tensor to write: dims fastest-first as GGUF stores them, ggml type id, raw data bytes.
struct GGUFTestTensor {
    var name: String
    var dims: [UInt64]
    var type: UInt32
    var data: [UInt8]
    /// Overrides the relative offset the writer would compute (for corruption tests).
    var offsetOverride: UInt64? = nil

    static func f32(_ name: String, dims: [Int], _ values: [Float]) -> GGUFTestTensor {
        precondition(dims.reduce(1, *) == values.count)
        var sink = GGUFByteSink()
        values.forEach { sink.f32($0) }
        return GGUFTestTensor(name: name, dims: dims.map(UInt64.init), type: 0, data: sink.bytes)
    }
}

/// Writes GGUF files the way llama.cpp lays them out: header, metadata, tensor infos, padding to
/// the alignment, then each tensor's data at an aligned relative offset (no padding after the
/// last tensor, so every strict prefix of the file is truncated somewhere that matters).
struct GGUFTestWriter {
    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    var metadata: [(String, GGUFValue)] = []
    var tensors: [GGUFTestTensor] = []
    var alignment = 32

    static func typeId(_ v: GGUFValue) -> UInt32 {
        switch v {
        case .uint8: return 0
        case .int8: return 1
        case .uint16: return 2
        case .int16: return 3
        case .uint32: return 4
        case .int32: return 5
        case .float32: return 6
        case .bool: return 7
        case .string: return 8
        case .array: return 9
        case .uint64: return 10
        case .int64: return 11
        case .float64: return 12
        }
    }

    static func write(_ v: GGUFValue, to s: inout GGUFByteSink) {
        switch v {
        case .uint8(let x): s.u8(x)
        case .int8(let x): s.u8(UInt8(bitPattern: x))
        case .uint16(let x): s.u16(x)
        case .int16(let x): s.u16(UInt16(bitPattern: x))
        case .uint32(let x): s.u32(x)
        case .int32(let x): s.u32(UInt32(bitPattern: x))
        case .float32(let x): s.f32(x)
        case .bool(let x): s.u8(x ? 1 : 0)
        case .string(let x): s.string(x)
        case .uint64(let x): s.u64(x)
        case .int64(let x): s.u64(UInt64(bitPattern: x))
        case .float64(let x): s.u64(x.bitPattern)
        case .array(let items):
            s.u32(items.first.map(typeId) ?? 4)
            s.u64(UInt64(items.count))
            items.forEach { write($0, to: &s) }
        }
    }

    /// The file bytes, plus where each piece landed (for targeted corruption).
    func build() -> (bytes: [UInt8], tensorInfoStart: Int, dataStart: Int) {
        var s = GGUFByteSink()
        s.bytes += magic
        s.u32(version)
        s.u64(UInt64(tensors.count))
        s.u64(UInt64(metadata.count))
        for (key, value) in metadata {
            s.string(key)
            s.u32(Self.typeId(value))
            Self.write(value, to: &s)
        }
        let tensorInfoStart = s.bytes.count
        var offsets: [UInt64] = []
        var next = 0
        for t in tensors {
            offsets.append(UInt64(next))
            next += (t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, offset) in zip(tensors, offsets) {
            s.string(t.name)
            s.u32(UInt32(t.dims.count))
            t.dims.forEach { s.u64($0) }
            s.u32(t.type)
            s.u64(t.offsetOverride ?? offset)
        }
        while s.bytes.count % alignment != 0 { s.u8(0) }
        let dataStart = s.bytes.count
        for (i, (t, offset)) in zip(tensors, offsets).enumerated() {
            precondition(s.bytes.count == dataStart + Int(offset))
            s.bytes += t.data
            if i < tensors.count - 1 { while s.bytes.count % alignment != 0 { s.u8(0) } }
        }
        return (s.bytes, tensorInfoStart, dataStart)
    }

    var bytes: [UInt8] { build().bytes }
}

/// Temporary files removed at the end of each test.
class GGUFTempFileTestCase: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        // tmpfs when there is one: thousands of small rewrites on a discard-mounted disk are slow.
        let shm = URL(fileURLWithPath: "/dev/shm", isDirectory: true)
        let base = FileManager.default.isWritableFile(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory
        directory = base
            .appendingPathComponent("gguf-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func write(_ bytes: [UInt8], name: String = "model.gguf") throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Asserts that opening `bytes` as GGUF throws an `EngineError` (never crashes, never succeeds).
    @discardableResult
    func assertRejected(_ bytes: [UInt8], _ message: String = "", file: StaticString = #filePath,
                        line: UInt = #line) throws -> EngineError? {
        let path = try write(bytes, name: "bad.gguf")
        do {
            _ = try GGUFFile(path: path)
            XCTFail("accepted a bad file: \(message)", file: file, line: line)
            return nil
        } catch let error as EngineError {
            return error
        } catch {
            XCTFail("threw a non-EngineError \(error): \(message)", file: file, line: line)
            return nil
        }
    }
}

/// Deterministic values for test tensors.
struct GGUFSplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A float in [-1, 1) with few mantissa bits, so sums and products in tests stay exact.
    mutating func float() -> Float { Float(Int(next() % 256) - 128) / 128 }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
}

// MARK: - The tiny Llama model used by several tests

/// A 2-block Llama: hidden 32, 4 heads of 8, 2 KV heads, FFN 64, vocab 16. Each matrix is
/// chosen in HF order with exact values; q/k rows are permuted as llama.cpp's converter does.
struct GGUFTinyLlama {
    static let hidden = 32, heads = 4, kvHeads = 2, ffn = 64, vocab = 16, blocks = 2
    var headDim = 8
    var arch = "llama"
    var withBias = false
    var tied = true
    var permuteQK = true
    /// HF name → (HF shape, fp32 values in HF row-major order).
    var expected: [String: ([Int], [Float])] = [:]

    /// llama.cpp convert_hf_to_gguf.py `permute`: view rows as (heads, 2, rows/heads/2) and swap
    /// the last two axes, i.e. HF row h*d + j*(d/2) + i goes to GGUF row h*d + 2*i + j.
    static func converterPermute(_ values: [Float], rows: Int, cols: Int, heads: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: values.count)
        let d = rows / heads
        for h in 0..<heads {
            for j in 0..<2 {
                for i in 0..<(d / 2) {
                    let hfRow = h * d + j * (d / 2) + i, ggufRow = h * d + 2 * i + j
                    for c in 0..<cols { out[ggufRow * cols + c] = values[hfRow * cols + c] }
                }
            }
        }
        return out
    }

    mutating func writer() -> GGUFTestWriter {
        var rng = GGUFSplitMix(state: 42)
        var w = GGUFTestWriter()
        w.metadata = [
            ("general.architecture", .string(arch)),
            ("general.name", .string("tiny test model")),
            ("\(arch).block_count", .uint32(UInt32(Self.blocks))),
            ("\(arch).context_length", .uint32(256)),
            ("\(arch).embedding_length", .uint32(UInt32(Self.hidden))),
            ("\(arch).feed_forward_length", .uint32(UInt32(Self.ffn))),
            ("\(arch).attention.head_count", .uint32(UInt32(Self.heads))),
            ("\(arch).attention.head_count_kv", .uint32(UInt32(Self.kvHeads))),
            ("\(arch).rope.freq_base", .float32(50_000)),
            ("\(arch).attention.layer_norm_rms_epsilon", .float32(1e-6)),
            ("tokenizer.ggml.tokens", .array((0..<Self.vocab).map { .string("tok\($0)") })),
            ("tokenizer.ggml.token_type", .array((0..<Self.vocab).map { .int32($0 < 2 ? 3 : 1) })),
        ]
        if headDim != Self.hidden / Self.heads {
            w.metadata.append(("\(arch).attention.key_length", .uint32(UInt32(headDim))))
        }
        func add(_ gguf: String, _ hf: String, rows: Int, cols: Int, permuteHeads: Int? = nil) {
            let hfValues = (0..<(rows * cols)).map { _ in rng.float() }
            expected[hf] = (cols == 1 ? [rows] : [rows, cols], hfValues)
            var stored = hfValues
            if let heads = permuteHeads, permuteQK {
                stored = Self.converterPermute(hfValues, rows: rows, cols: cols, heads: heads)
            }
            let dims = cols == 1 ? [rows] : [cols, rows]
            w.tensors.append(.f32(gguf, dims: dims, stored))
        }
        add("token_embd.weight", "model.embed_tokens.weight", rows: Self.vocab, cols: Self.hidden)
        let q = Self.heads * headDim, kv = Self.kvHeads * headDim
        for b in 0..<Self.blocks {
            let g = "blk.\(b).", h = "model.layers.\(b)."
            add(g + "attn_norm.weight", h + "input_layernorm.weight", rows: Self.hidden, cols: 1)
            add(g + "attn_q.weight", h + "self_attn.q_proj.weight", rows: q, cols: Self.hidden, permuteHeads: Self.heads)
            add(g + "attn_k.weight", h + "self_attn.k_proj.weight", rows: kv, cols: Self.hidden, permuteHeads: Self.kvHeads)
            add(g + "attn_v.weight", h + "self_attn.v_proj.weight", rows: kv, cols: Self.hidden)
            if withBias {
                add(g + "attn_q.bias", h + "self_attn.q_proj.bias", rows: q, cols: 1, permuteHeads: Self.heads)
                add(g + "attn_k.bias", h + "self_attn.k_proj.bias", rows: kv, cols: 1, permuteHeads: Self.kvHeads)
                add(g + "attn_v.bias", h + "self_attn.v_proj.bias", rows: kv, cols: 1)
            }
            add(g + "attn_output.weight", h + "self_attn.o_proj.weight", rows: Self.hidden, cols: q)
            add(g + "ffn_norm.weight", h + "post_attention_layernorm.weight", rows: Self.hidden, cols: 1)
            add(g + "ffn_gate.weight", h + "mlp.gate_proj.weight", rows: Self.ffn, cols: Self.hidden)
            add(g + "ffn_up.weight", h + "mlp.up_proj.weight", rows: Self.ffn, cols: Self.hidden)
            add(g + "ffn_down.weight", h + "mlp.down_proj.weight", rows: Self.hidden, cols: Self.ffn)
        }
        add("output_norm.weight", "model.norm.weight", rows: Self.hidden, cols: 1)
        if !tied { add("output.weight", "lm_head.weight", rows: Self.vocab, cols: Self.hidden) }
        return w
    }
}

// MARK: - Valid files

final class GGUFTests: GGUFTempFileTestCase {
    func testTinyModelMetadataAndTensorDirectory() throws {
        var model = GGUFTinyLlama()
        let w = model.writer()
        let (bytes, _, dataStart) = w.build()
        let file = try GGUFFile(path: try write(bytes))
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.alignment, 32)
        XCTAssertEqual(file.dataOffset, dataStart)
        XCTAssertEqual(file.metadata.count, w.metadata.count)
        for (key, value) in w.metadata { XCTAssertEqual(file.metadata[key], value, key) }
        XCTAssertEqual(file.metadata["general.name"]?.string, "tiny test model")
        XCTAssertEqual(file.metadata["tokenizer.ggml.tokens"]?.stringArray?[15], "tok15")
        XCTAssertEqual(file.metadata["tokenizer.ggml.token_type"]?.intArray?.prefix(3), [3, 3, 1])
        XCTAssertEqual(file.metadata["llama.rope.freq_base"]?.double, 50_000)
        XCTAssertEqual(file.metadata["llama.block_count"]?.int, 2)

        XCTAssertEqual(file.tensorInfos.map(\.name), w.tensors.map(\.name))
        let down = try XCTUnwrap(file.tensorInfo(named: "blk.1.ffn_down.weight"))
        XCTAssertEqual(down.dims, [64, 32])
        XCTAssertEqual(down.rowMajorShape, [32, 64])
        XCTAssertEqual(down.type, .f32)
        XCTAssertEqual(down.byteCount, 64 * 32 * 4)
        // Data offsets are absolute, aligned, and point at the bytes the writer put there.
        var expectedOffset = dataStart
        for (info, t) in zip(file.tensorInfos, w.tensors) {
            XCTAssertEqual(info.offset, expectedOffset, info.name)
            XCTAssertEqual(info.offset % 32, 0)
            XCTAssertEqual(Array(try file.rawData(of: info)), t.data, info.name)
            expectedOffset += (t.data.count + 31) / 32 * 32
        }
    }

    func testTinyModelConfig() throws {
        var model = GGUFTinyLlama()
        let file = try GGUFFile(path: try write(model.writer().bytes))
        let expected = ModelConfig(
            modelType: "llama", hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2,
            numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8, vocabSize: 16,
            rmsNormEps: 1e-6, ropeTheta: 50_000, ropeScaling: nil,
            maxPositionEmbeddings: 256, tieWordEmbeddings: true, attentionBias: false)
        XCTAssertEqual(try file.modelConfig(), expected)
    }

    func testTensorSourceNamesShapesAndValues() throws {
        var model = GGUFTinyLlama()
        model.tied = false
        let source = try GGUFTensorSource(path: try write(model.writer().bytes))
        XCTAssertFalse(source.config.tieWordEmbeddings)
        XCTAssertEqual(Set(source.tensorNames), Set(model.expected.keys))
        XCTAssertEqual(source.tensorNames.count, 3 + 9 * GGUFTinyLlama.blocks)   // embed, norm, lm_head + blocks
        for (name, (shape, values)) in model.expected {
            XCTAssertEqual(source.shape(of: name), shape, name)
            let t = try source.load(name)
            XCTAssertEqual(t.shape, shape, name)
            XCTAssertEqual(t.data, values, name)   // includes q/k rows back in HF order
        }
        XCTAssertEqual(source.shape(of: "model.layers.0.mlp.down_proj.weight"), [32, 64])
        XCTAssertEqual(source.shape(of: "lm_head.weight"), [16, 32])
        XCTAssertNil(source.shape(of: "model.layers.2.mlp.down_proj.weight"))
        XCTAssertThrowsError(try source.load("model.layers.9.mlp.up_proj.weight")) {
            XCTAssertTrue($0 is EngineError)
        }
    }

    /// The converter's permutation, applied in the writer, is undone for weights and biases,
    /// with n_heads for q and n_kv_heads for k; the raw GGUF rows really are permuted.
    func testQKPermutationRoundTripWithBiases() throws {
        var model = GGUFTinyLlama()
        model.withBias = true
        let source = try GGUFTensorSource(path: try write(model.writer().bytes))
        XCTAssertTrue(source.config.attentionBias)
        XCTAssertTrue(source.qkRowsPermuted)
        for name in ["model.layers.1.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight",
                     "model.layers.0.self_attn.q_proj.bias", "model.layers.0.self_attn.k_proj.bias"] {
            let (shape, hf) = try XCTUnwrap(model.expected[name])
            XCTAssertEqual(try source.load(name).data, hf, name)
            let raw = try source.file.dequantized(try XCTUnwrap(source.tensorInfo(of: name)))
            XCTAssertNotEqual(raw, hf, "\(name) should be stored permuted")
            let heads = name.contains("q_proj") ? GGUFTinyLlama.heads : GGUFTinyLlama.kvHeads
            XCTAssertEqual(raw, GGUFTinyLlama.converterPermute(hf, rows: shape[0], cols: shape.count == 2 ? shape[1] : 1, heads: heads))
        }
        // Hand check of one row: HF q row 4 (head 0, second half, pair 0) is stored at row 1.
        let q = try XCTUnwrap(model.expected["model.layers.0.self_attn.q_proj.weight"]).1
        let rawQ = try source.file.dequantized(try XCTUnwrap(source.file.tensorInfo(named: "blk.0.attn_q.weight")))
        XCTAssertEqual(Array(rawQ[32..<64]), Array(q[4 * 32..<5 * 32]))
    }

    /// qwen2 GGUFs are converted without the permutation: rows are used as stored.
    func testQwen2RowsAreNotPermuted() throws {
        var model = GGUFTinyLlama()
        model.arch = "qwen2"
        model.withBias = true
        model.permuteQK = false
        let source = try GGUFTensorSource(path: try write(model.writer().bytes))
        XCTAssertEqual(source.config.modelType, "qwen2")
        XCTAssertFalse(source.qkRowsPermuted)
        for (name, (_, values)) in model.expected where name.contains("q_proj") || name.contains("k_proj") {
            XCTAssertEqual(try source.load(name).data, values, name)
        }
    }

    func testCustomAlignmentIsHonoured() throws {
        var model = GGUFTinyLlama()
        var w = model.writer()
        w.alignment = 256
        w.metadata.append(("general.alignment", .uint32(256)))
        let (bytes, _, dataStart) = w.build()
        XCTAssertEqual(dataStart % 256, 0)
        let source = try GGUFTensorSource(path: try write(bytes))
        XCTAssertEqual(source.file.alignment, 256)
        XCTAssertTrue(source.file.tensorInfos.allSatisfy { $0.offset % 256 == 0 })
        let name = "model.layers.1.mlp.gate_proj.weight"
        XCTAssertEqual(try source.load(name).data, model.expected[name]?.1)
    }

    func testVersion2IsAccepted() throws {
        var model = GGUFTinyLlama()
        var w = model.writer()
        w.version = 2
        XCTAssertEqual(try GGUFFile(path: try write(w.bytes)).version, 2)
    }

    /// Quantised tensors go through the same dispatch; expected values from the block formulas.
    func testQuantisedTensorsLoadThroughTheFile() throws {
        var w = GGUFTestWriter()
        w.metadata = [("general.architecture", .string("test"))]
        // Q8_0, 2 rows of 32: d = 0.5 and 0.25, q = i - 16.
        var q8 = GGUFByteSink()
        for d: UInt16 in [0x3800, 0x3400] {
            q8.u16(d)
            for i in 0..<32 { q8.u8(UInt8(bitPattern: Int8(i - 16))) }
        }
        w.tensors.append(GGUFTestTensor(name: "q8", dims: [32, 2], type: 8, data: q8.bytes))
        // Q4_1, 1 row: d = 2, m = -1.5, byte j = lo j / hi 15-j.
        var q41 = GGUFByteSink()
        q41.u16(0x4000); q41.u16(0xBE00)
        for j in 0..<16 { q41.u8(UInt8(j) | UInt8(15 - j) << 4) }
        w.tensors.append(GGUFTestTensor(name: "q41", dims: [32], type: 3, data: q41.bytes))
        // BF16 and F16
        var half = GGUFByteSink()
        [0x3C00, 0xC000, 0x3555, 0x0001].forEach { half.u16($0) }
        w.tensors.append(GGUFTestTensor(name: "f16", dims: [4], type: 1, data: half.bytes))
        var bf = GGUFByteSink()
        [0x3F80, 0xC040].forEach { bf.u16($0) }
        w.tensors.append(GGUFTestTensor(name: "bf16", dims: [2], type: 30, data: bf.bytes))

        let file = try GGUFFile(path: try write(w.bytes))
        let q8Values = try file.dequantized(try XCTUnwrap(file.tensorInfo(named: "q8")))
        XCTAssertEqual(q8Values, (0..<32).map { Float($0 - 16) * 0.5 } + (0..<32).map { Float($0 - 16) * 0.25 })
        let q41Values = try file.dequantized(try XCTUnwrap(file.tensorInfo(named: "q41")))
        XCTAssertEqual(q41Values, (0..<16).map { Float($0) * 2 - 1.5 } + (0..<16).map { Float(15 - $0) * 2 - 1.5 })
        XCTAssertEqual(try file.dequantized(try XCTUnwrap(file.tensorInfo(named: "f16"))),
                       [1, -2, 0.333251953125, 0x1p-24])
        XCTAssertEqual(try file.dequantized(try XCTUnwrap(file.tensorInfo(named: "bf16"))), [1, -3])
    }

    /// A ggml type we cannot dequantise opens (its size is known) and fails only when loaded.
    func testUndequantisableTypeFailsAtLoadNamingTensorAndType() throws {
        var w = GGUFTestWriter()
        w.metadata = [("general.architecture", .string("test"))]
        w.tensors = [GGUFTestTensor(name: "q5k", dims: [256], type: 13, data: [UInt8](repeating: 0, count: 176)),
                     .f32("ok", dims: [2], [1, 2])]
        let file = try GGUFFile(path: try write(w.bytes))
        let info = try XCTUnwrap(file.tensorInfo(named: "q5k"))
        XCTAssertNil(info.type)
        XCTAssertEqual(info.ggmlType.name, "Q5_K")
        XCTAssertEqual(try file.dequantized(try XCTUnwrap(file.tensorInfo(named: "ok"))), [1, 2])
        XCTAssertThrowsError(try file.dequantized(info)) { error in
            guard case .unsupported(let message) = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("q5k") && message.contains("13"), message)
        }
    }

    /// A type id ggml does not define: its size is unknown, so the file cannot be laid out.
    func testUnknownTypeIdFailsAtOpen() throws {
        var w = GGUFTestWriter()
        w.tensors = [GGUFTestTensor(name: "mystery", dims: [4], type: 200, data: [UInt8](repeating: 0, count: 16))]
        let error = try assertRejected(w.bytes)
        guard case .unsupported(let message) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(message.contains("mystery") && message.contains("200"), message)
    }

    func testNameMapping() {
        let pairs = [
            ("token_embd.weight", "model.embed_tokens.weight"),
            ("output_norm.weight", "model.norm.weight"),
            ("output.weight", "lm_head.weight"),
            ("blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight"),
            ("blk.12.attn_k.bias", "model.layers.12.self_attn.k_proj.bias"),
            ("blk.3.attn_v.weight", "model.layers.3.self_attn.v_proj.weight"),
            ("blk.3.attn_output.weight", "model.layers.3.self_attn.o_proj.weight"),
            ("blk.7.ffn_gate.weight", "model.layers.7.mlp.gate_proj.weight"),
            ("blk.7.ffn_up.weight", "model.layers.7.mlp.up_proj.weight"),
            ("blk.7.ffn_down.weight", "model.layers.7.mlp.down_proj.weight"),
            ("blk.29.attn_norm.weight", "model.layers.29.input_layernorm.weight"),
            ("blk.29.ffn_norm.weight", "model.layers.29.post_attention_layernorm.weight"),
        ]
        for (gguf, hf) in pairs {
            XCTAssertEqual(GGUFNames.hfName(for: gguf), hf)
            XCTAssertEqual(GGUFNames.ggufName(for: hf), gguf)
        }
        for bad in ["rope_freqs.weight", "blk.01.attn_q.weight", "blk.x.attn_q.weight", "blk.1.attn_q",
                    "blk.1.attn_qq.weight", "blk..attn_q.weight", "token_embd.scale"] {
            XCTAssertNil(GGUFNames.hfName(for: bad), bad)
        }
        XCTAssertNil(GGUFNames.ggufName(for: "model.layers.1.self_attn.rotary_emb.inv_freq"))
    }
}
