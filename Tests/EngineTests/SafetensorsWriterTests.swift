import Foundation
import XCTest
@testable import Engine

final class SafetensorsWriterTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try SafetensorsTestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// A fixed set of tensors, deliberately not in name order.
    private let fixedTensors: [(name: String, tensor: Tensor)] = [
        ("model.layers.0.mlp.down_proj.weight",
         Tensor(shape: [2, 3], data: [-1.5, 0.1, 3.0e38, -0.0, 0x1p-133, 65504.25])),
        ("model.layers.0.self_attn.q_proj.bias", Tensor(shape: [3], data: [1.0 / 3.0, -2.0 / 3.0, 1.00390625])),
        ("scalar", Tensor(shape: [], data: [.pi])),          // Float.pi: bits 0x40490FDA
        ("empty", Tensor(shape: [0, 2], data: [])),
    ]
    private let fixedMetadata = ["format": "pt", "twossp": "writer test \u{e9}"]

    private func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    private func fileBytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// The exact bytes of a fixed writer output. These files were loaded once with Python's
    /// `safetensors.torch.load_file` (0.8.0), which returned these names, shapes and metadata, and
    /// data bytes equal to torch's own f32 → f16/bf16 conversion of the inputs (`.to(dtype)`).
    func testFixedOutputHasRecordedSHA256() throws {
        let expected: [StorageType: String] = [
            .f32: "ea472ad2f5f7e36950565d42b2f4422685642f3e2204d45392464b389f36731b",
            .f16: "0a0b2e1d1e9de7910d63e3eaca18183d79599fd55c303f6e29206432ab9d5337",
            .bf16: "3bd111d4d453a075c099c8ac4c67737fe5111d7b560f02c64bf98b20edb55bf3",
        ]
        for (dtype, sha) in expected.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let out = path("fixed-\(dtype.rawValue).safetensors")
            try SafetensorsWriter.write(tensors: fixedTensors, dtype: dtype, metadata: fixedMetadata, to: out)
            XCTAssertEqual(TestSHA256.hex(try fileBytes(out)), sha, "\(dtype)")
        }
    }

    func testHeaderLayoutIsSortedCompactAndSpacePadded() throws {
        let out = path("layout.safetensors")
        try SafetensorsWriter.write(tensors: [("b", Tensor(shape: [1], data: [1])), ("a", Tensor(shape: [2], data: [2, 3]))],
                                    dtype: .f32, metadata: ["k": "v"], to: out)
        let bytes = try fileBytes(out)
        let json = #"{"__metadata__":{"k":"v"},"a":{"data_offsets":[4,12],"dtype":"F32","shape":[2]},"#
            + #""b":{"data_offsets":[0,4],"dtype":"F32","shape":[1]}}"#
        let padded = json + String(repeating: " ", count: (8 - json.utf8.count % 8) % 8)
        XCTAssertEqual(Array(bytes.prefix(8)), SafetensorsTestSupport.bytes(of: [UInt64(padded.utf8.count).littleEndian]))
        XCTAssertEqual(String(decoding: bytes[8..<(8 + padded.utf8.count)], as: UTF8.self), padded)
        // Data in the order given: b first, then a.
        XCTAssertEqual(Array(bytes[(8 + padded.utf8.count)...]), SafetensorsTestSupport.bytes(of: [Float(1), 2, 3]))
    }

    func testRoundTripThroughOurReader() throws {
        for dtype in [StorageType.f32, .f16, .bf16] {
            let out = path("rt-\(dtype.rawValue).safetensors")
            try SafetensorsWriter.write(tensors: fixedTensors, dtype: dtype, metadata: fixedMetadata, to: out)
            let file = try SafetensorsFile(path: out)
            XCTAssertEqual(file.metadata, fixedMetadata)
            XCTAssertEqual(file.tensorNames, fixedTensors.map(\.name), "data order is the given order")
            for (name, tensor) in fixedTensors {
                let loaded = try file.load(name)
                XCTAssertEqual(loaded.shape, tensor.shape)
                let expected: [UInt32] = tensor.data.map { x in
                    switch dtype {
                    case .f16: return Float(Float16(x)).bitPattern
                    case .bf16: return UInt32(SafetensorsConversion.bf16Bits(x)) << 16
                    default: return x.bitPattern
                    }
                }
                SafetensorsTestSupport.assertBitsEqual(SafetensorsTestSupport.bits(loaded), expected, "\(dtype) \(name)")
            }
        }
        // Spot values by hand: 65504.25 is the largest f16 after rounding; 1/3 in bf16 is 0x3EAB.
        let f16 = try SafetensorsFile(path: path("rt-F16.safetensors")).load("model.layers.0.mlp.down_proj.weight")
        XCTAssertEqual(f16.data[5], 65504)
        XCTAssertEqual(f16.data[2], .infinity)
        let bf16 = try SafetensorsFile(path: path("rt-BF16.safetensors")).load("model.layers.0.self_attn.q_proj.bias")
        XCTAssertEqual(bf16.data[0].bitPattern, 0x3EAB_0000)
        XCTAssertEqual(bf16.data[2], 1.0)   // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: to even
    }

    /// Rounding cases worked out by hand. The non-NaN ones agree with torch's `.bfloat16()`; for NaN
    /// we write c10::BFloat16's canonical 0x7FC0 (torch's vectorised path writes 0xFFFF: also NaN).
    func testBF16RoundsToNearestEvenAndKeepsNaN() {
        let cases: [(UInt32, UInt16, String)] = [
            (0x3F80_0000, 0x3F80, "1.0 exact"),
            (0x3F80_7FFF, 0x3F80, "just below half an ulp: down"),
            (0x3F80_8000, 0x3F80, "tie, even below: stays"),
            (0x3F81_8000, 0x3F82, "tie, odd below: up to even"),
            (0x3F80_8001, 0x3F81, "just above half an ulp: up"),
            (0xBF81_8000, 0xBF82, "negative tie to even"),
            (0x7F7F_FFFF, 0x7F80, "largest float rounds to infinity"),
            (0x7F7F_0000, 0x7F7F, "largest bf16 exact"),
            (0x7F80_0000, 0x7F80, "+inf"),
            (0xFF80_0000, 0xFF80, "-inf"),
            (0x0000_0000, 0x0000, "+0"),
            (0x8000_0000, 0x8000, "-0"),
            (0x0000_0001, 0x0000, "smallest subnormal rounds to zero"),
            (0x0000_8000, 0x0000, "subnormal tie to even zero"),
            (0x0001_8000, 0x0002, "subnormal tie, odd below: up"),
            (0x0001_8001, 0x0002, "subnormal above tie"),
            (0x807F_FFFF, 0x8080, "largest negative subnormal rounds up to the smallest normal"),
            (0x7FC0_0000, 0x7FC0, "quiet NaN"),
            (0x7F80_0001, 0x7FC0, "signalling NaN whose truncation would be infinity"),
            (0xFFFF_FFFF, 0x7FC0, "negative NaN with full payload must not round to zero"),
        ]
        for (input, expected, label) in cases {
            let got = SafetensorsConversion.bf16Bits(Float(bitPattern: input))
            XCTAssertEqual(got, expected, "\(label): 0x\(String(input, radix: 16)) → 0x\(String(got, radix: 16))")
        }
    }

    func testBF16NaNAndInfinitySurviveAFile() throws {
        let out = path("special.safetensors")
        let values: [Float] = [.nan, -.nan, Float(bitPattern: 0x7F80_0001), .infinity, -.infinity, 0x1p-130]
        try SafetensorsWriter.write(tensors: [("x", Tensor(shape: [6], data: values))], dtype: .bf16, metadata: [:], to: out)
        let loaded = try SafetensorsFile(path: out).load("x").data
        XCTAssertTrue(loaded[0].isNaN && loaded[1].isNaN && loaded[2].isNaN)
        XCTAssertEqual(Array(loaded[3...]), [.infinity, -.infinity, 0x1p-130])
    }

    func testRefusesBadRequestsWithoutTouchingTheTarget() throws {
        let out = path("target.safetensors")
        try Data("previous".utf8).write(to: URL(fileURLWithPath: out))
        let one = Tensor(shape: [1], data: [1])
        XCTAssertThrowsError(try SafetensorsWriter.write(tensors: [("a", one), ("a", one)], dtype: .f32, metadata: [:], to: out)) {
            XCTAssertEqual($0 as? EngineError, .invalidArgument("tensor 'a' is given twice for one safetensors file"))
        }
        XCTAssertThrowsError(try SafetensorsWriter.write(tensors: [("__metadata__", one)], dtype: .f32, metadata: [:], to: out))
        XCTAssertThrowsError(try SafetensorsWriter.write(tensors: [("a", one)], dtype: .q4_0, metadata: [:], to: out)) {
            guard case .invalidArgument? = $0 as? EngineError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try fileBytes(out), Array("previous".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["target.safetensors"])
    }

    func testUnwritableDirectoryIsAnIOError() {
        let out = scratch.appendingPathComponent("missing-dir/x.safetensors").path
        XCTAssertThrowsError(try SafetensorsWriter.write(tensors: [], dtype: .f32, metadata: [:], to: out)) {
            guard case .io(let errorPath, _)? = $0 as? EngineError else { return XCTFail("\($0)") }
            XCTAssertEqual(errorPath, out)
        }
    }

    /// A failure half-way through leaves the old file in place and no temporary behind.
    func testFailedWriteLeavesNoPartialFile() throws {
        let out = path("atomic.bin")
        try Data("old".utf8).write(to: URL(fileURLWithPath: out))
        struct Interrupted: Error {}
        XCTAssertThrowsError(try AtomicFileWriter.write(to: out) { sink in
            try [UInt8](repeating: 7, count: 1000).withUnsafeBytes { try sink.write($0) }
            throw Interrupted()
        }) { XCTAssertTrue($0 is Interrupted) }
        XCTAssertEqual(try fileBytes(out), Array("old".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["atomic.bin"])
        try AtomicFileWriter.write(to: out) { sink in try [UInt8]([1, 2, 3]).withUnsafeBytes { try sink.write($0) } }
        XCTAssertEqual(try fileBytes(out), [1, 2, 3])
    }

    /// Names with quotes, backslashes, control and non-ASCII characters survive the header.
    func testAwkwardNamesRoundTrip() throws {
        let out = path("names.safetensors")
        let names = ["quote\"d", "back\\slash", "tab\tnew\nline\u{1}", "ünï 🦙"]
        try SafetensorsWriter.write(tensors: names.map { ($0, Tensor(shape: [1], data: [1])) }, dtype: .f32,
                                    metadata: ["k\"": "v\n"], to: out)
        let file = try SafetensorsFile(path: out)
        XCTAssertEqual(file.tensorNames, names)
        XCTAssertEqual(file.metadata, ["k\"": "v\n"])
    }
}
