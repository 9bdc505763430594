import Foundation
import XCTest
@testable import Engine

/// Paths and builders shared by the safetensors and HF directory tests.
enum SafetensorsTestSupport {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/safetensors")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    static func json(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture(name))))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("twossp-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A safetensors file assembled by hand (independent of SafetensorsWriter): the given header
    /// text padded with spaces to 8 bytes unless `declaredLength` overrides the length prefix.
    static func rawFile(header: String, data: [UInt8], declaredLength: UInt64? = nil, pad: Bool = true) -> [UInt8] {
        var headerBytes = Array(header.utf8)
        while pad && headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        let length = declaredLength ?? UInt64(headerBytes.count)
        return withUnsafeBytes(of: length.littleEndian) { Array($0) } + headerBytes + data
    }

    static func write(_ bytes: [UInt8], in directory: URL, name: String = "t.safetensors") throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    static func bytes<T>(of values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

    static func bits(_ tensor: Tensor) -> [UInt32] { tensor.data.map(\.bitPattern) }

    /// Compares bit patterns and reports the first difference instead of printing whole arrays.
    static func assertBitsEqual(_ actual: [UInt32], _ expected: [UInt32], _ label: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, "\(label): element count", file: file, line: line)
        if let i = (0..<min(actual.count, expected.count)).first(where: { actual[$0] != expected[$0] }) {
            XCTFail("\(label): element \(i) is 0x\(String(actual[i], radix: 16)), "
                + "expected 0x\(String(expected[i], radix: 16))", file: file, line: line)
        }
    }
}

final class SafetensorsReaderTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try SafetensorsTestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// Every float tensor written by Python's `safetensors` reads back bit-exactly as torch's own
    /// `.float()` (signed zeros, subnormals, infinities, NaN, f16 and bf16 rounding included).
    func testReadsFileWrittenByPythonSafetensorsBitExactly() throws {
        let file = try SafetensorsFile(path: SafetensorsTestSupport.fixture("dtypes.safetensors"))
        let expected = try XCTUnwrap(SafetensorsTestSupport.json("dtypes.expected.json") as? [String: Any])
        XCTAssertEqual(file.metadata, expected["metadata"] as? [String: String])
        let tensors = try XCTUnwrap(expected["tensors"] as? [String: [String: Any]])
        XCTAssertEqual(tensors.count, 5)
        for (name, entry) in tensors {
            let shape = try XCTUnwrap(entry["shape"] as? [Int])
            let bits = try XCTUnwrap(entry["bits"] as? [Int]).map { UInt32(bitPattern: Int32($0)) }
            XCTAssertEqual(file.shape(of: name), shape, name)
            let tensor = try file.load(name)
            XCTAssertEqual(tensor.shape, shape, name)
            SafetensorsTestSupport.assertBitsEqual(SafetensorsTestSupport.bits(tensor), bits, name)
        }
        XCTAssertEqual(Set(file.tensorNames),
                       Set(tensors.keys).union(["i64.positions"]))
        XCTAssertEqual(file.info("bf16.matrix")?.dtype, "BF16")
        XCTAssertEqual(file.info("i64.positions")?.storageType, nil)
    }

    func testSpotValuesOfPythonFixture() throws {
        // Independent of the expected-file: values known by hand.
        let file = try SafetensorsFile(path: SafetensorsTestSupport.fixture("dtypes.safetensors"))
        let f32 = try file.load("f32.matrix")
        XCTAssertEqual(f32.shape, [2, 3])
        XCTAssertEqual(f32.data[0].bitPattern, 0)
        XCTAssertEqual(f32.data[1].bitPattern, 0x8000_0000)
        XCTAssertEqual(f32.data[2], Float.leastNonzeroMagnitude)
        XCTAssertEqual(f32.data[3], Float.greatestFiniteMagnitude)
        XCTAssertEqual(f32.data[4], -.infinity)
        XCTAssertEqual(f32.data[5], Float(Double.pi))  // Float.pi rounds toward zero
        let f16 = try file.load("f16.vector")
        XCTAssertEqual(f16.data[2], 0x1p-24)              // smallest f16 subnormal
        XCTAssertEqual(f16.data[3], 65504)
        XCTAssertTrue(f16.data[5].isNaN)
        XCTAssertEqual(f16.data[6], 0.333251953125)      // 1/3 in f16
        let scalar = try file.load("bf16.scalar")
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(scalar.data, [-0.15625])
        let empty = try file.load("f32.empty")
        XCTAssertEqual(empty.shape, [0, 3])
        XCTAssertEqual(empty.data, [])
    }

    func testUnsupportedDtypeOpensButRefusesToLoadNamingTensorAndDtype() throws {
        let path = SafetensorsTestSupport.fixture("dtypes.safetensors")
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.shape(of: "i64.positions"), [4])
        XCTAssertThrowsError(try file.load("i64.positions")) { error in
            guard case .unsupported(let message)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("i64.positions") && message.contains("I64") && message.contains(path), message)
        }
    }

    func testMissingTensorIsAClearError() throws {
        let path = SafetensorsTestSupport.fixture("dtypes.safetensors")
        let file = try SafetensorsFile(path: path)
        XCTAssertNil(file.shape(of: "nope"))
        XCTAssertThrowsError(try file.load("nope")) { error in
            XCTAssertEqual(error as? EngineError, .mismatch("\(path): no tensor named 'nope'"))
        }
    }

    func testMissingFileIsAnIOError() {
        XCTAssertThrowsError(try SafetensorsFile(path: scratch.appendingPathComponent("absent").path)) { error in
            guard case .io(let path, _)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("absent"))
        }
    }

    /// Offsets need not be aligned: a 1-byte tensor first shifts every later tensor to odd addresses.
    func testUnalignedTensorsLoad() throws {
        let header = #"{"pad":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"#
            + #""b":{"dtype":"BF16","shape":[3],"data_offsets":[1,7]},"#
            + #""f":{"dtype":"F32","shape":[2],"data_offsets":[7,15]},"#
            + #""h":{"dtype":"F16","shape":[2],"data_offsets":[15,19]}}"#
        let data: [UInt8] = [0xAA]
            + [0x80, 0x3F, 0x00, 0xC0, 0x49, 0x40]                       // bf16 1, -2, 3.140625
            + SafetensorsTestSupport.bytes(of: [Float(0.1), -7.25])
            + [0x00, 0x3C, 0x00, 0xB8]                                   // f16 1, -0.5
        let path = try SafetensorsTestSupport.write(SafetensorsTestSupport.rawFile(header: header, data: data), in: scratch)
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.tensorNames, ["pad", "b", "f", "h"])
        XCTAssertEqual(try file.load("b").data, [1, -2, 3.140625])
        XCTAssertEqual(try file.load("f").data, [0.1, -7.25])
        XCTAssertEqual(try file.load("h").data, [1, -0.5])
        XCTAssertThrowsError(try file.load("pad"))
    }

    /// The branch-free half → float conversion against Float16's own, for every bit pattern
    /// (signalling NaNs come out quiet, as Float16 and PyTorch make them).
    func testHalfConversionMatchesFloat16ForAllBitPatterns() {
        for bits in 0...UInt16.max {
            let ours = SafetensorsConversion.floatFromHalfBits(bits)
            let reference = Float(Float16(bitPattern: bits))
            XCTAssertEqual(ours.bitPattern, reference.bitPattern, "half bits 0x\(String(bits, radix: 16))")
        }
    }

    /// Tensors large enough to be converted on several threads give the same values as a
    /// per-element conversion, for every stored type, at an odd (unaligned) offset.
    func testLargeTensorsConvertIdenticallyOnTheParallelPath() throws {
        let count = SafetensorsConversion.parallelThreshold + 12_345
        var generator = SplitMix64(seed: 7)
        let halves = (0..<count).map { _ in UInt16(truncatingIfNeeded: generator.next()) }
        let singles = (0..<count).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()) & 0xBFFF_FFFF) }
        let halfBytes = SafetensorsTestSupport.bytes(of: halves), singleBytes = SafetensorsTestSupport.bytes(of: singles)
        let b = 1 + halfBytes.count, h = b + halfBytes.count, f = h + singleBytes.count
        let header = #"{"pad":{"dtype":"I8","shape":[1],"data_offsets":[0,1]},"#
            + #""b":{"dtype":"BF16","shape":[\#(count)],"data_offsets":[1,\#(b)]},"#
            + #""h":{"dtype":"F16","shape":[\#(count)],"data_offsets":[\#(b),\#(h)]},"#
            + #""f":{"dtype":"F32","shape":[\#(count)],"data_offsets":[\#(h),\#(f)]}}"#
        let path = try SafetensorsTestSupport.write(
            SafetensorsTestSupport.rawFile(header: header, data: [0] + halfBytes + halfBytes + singleBytes), in: scratch)
        let file = try SafetensorsFile(path: path)
        SafetensorsTestSupport.assertBitsEqual(SafetensorsTestSupport.bits(try file.load("b")),
                                               halves.map { UInt32($0) << 16 }, "bf16")
        SafetensorsTestSupport.assertBitsEqual(SafetensorsTestSupport.bits(try file.load("h")),
                                               halves.map { Float(Float16(bitPattern: $0)).bitPattern }, "f16")
        SafetensorsTestSupport.assertBitsEqual(SafetensorsTestSupport.bits(try file.load("f")),
                                               singles.map(\.bitPattern), "f32")
    }
}

/// Deterministic pseudo-random numbers for test data.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
