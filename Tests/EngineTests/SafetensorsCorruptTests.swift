import Foundation
import XCTest
@testable import Engine

/// Damaged or hostile files: each must be refused with an EngineError that names the file and,
/// where there is one, the tensor at fault. None may crash or read outside the file.
final class SafetensorsCorruptTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try SafetensorsTestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private let f32Pair = SafetensorsTestSupport.bytes(of: [Float(1), 2])

    /// Opens bytes as a safetensors file and expects `.corruptFile` for that path whose reason
    /// contains every fragment.
    private func assertCorrupt(_ bytes: [UInt8], _ fragments: String..., line: UInt = #line) throws {
        let path = try SafetensorsTestSupport.write(bytes, in: scratch)
        XCTAssertThrowsError(try SafetensorsFile(path: path), line: line) { error in
            guard case .corruptFile(let errorPath, let reason)? = error as? EngineError else {
                return XCTFail("expected corruptFile, got \(error)", line: line)
            }
            XCTAssertEqual(errorPath, path, line: line)
            for fragment in fragments {
                XCTAssertTrue(reason.contains(fragment), "'\(reason)' does not mention '\(fragment)'", line: line)
            }
        }
    }

    private func header(_ entries: String) -> String { "{" + entries + "}" }

    func testFileShorterThanTheLengthPrefix() throws {
        try assertCorrupt([], "too short")
        try assertCorrupt([8, 0, 0, 0], "too short")
    }

    func testHeaderLengthBeyondTheFile() throws {
        try assertCorrupt(SafetensorsTestSupport.rawFile(header: "{}", data: [], declaredLength: 1000), "past the end")
        try assertCorrupt(SafetensorsTestSupport.rawFile(header: "{}", data: [], declaredLength: UInt64.max), "past the end")
        try assertCorrupt(SafetensorsTestSupport.rawFile(header: "{}", data: [], declaredLength: 1 << 63), "past the end")
    }

    func testTruncatedHeader() throws {
        let whole = SafetensorsTestSupport.rawFile(
            header: header(#""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#), data: f32Pair)
        try assertCorrupt(Array(whole.prefix(8 + 20)), "past the end")
    }

    func testHeaderNotJSON() throws {
        try assertCorrupt(SafetensorsTestSupport.rawFile(header: "{not json", data: []), "not valid JSON")
        try assertCorrupt(SafetensorsTestSupport.rawFile(header: "", data: []), "not valid JSON")
        try assertCorrupt([4, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0xFF, 0xFE, 0x7D], "not valid JSON")   // not UTF-8
    }

    func testHeaderNotAnObject() throws {
        try assertCorrupt(SafetensorsTestSupport.rawFile(header: "[1, 2]", data: []), "not a JSON object")
        try assertCorrupt(SafetensorsTestSupport.rawFile(header: "\"text\"", data: []), "not a JSON object")
    }

    func testMalformedEntriesNameTheTensor() throws {
        let cases: [(String, String)] = [
            (#""w":{"shape":[2],"data_offsets":[0,8]}"#, "dtype"),
            (#""w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}"#, "shape"),
            (#""w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}"#, "shape"),
            (#""w":{"dtype":"F32","shape":[true],"data_offsets":[0,8]}"#, "shape"),
            (#""w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}"#, "shape"),
            (#""w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}"#, "data_offsets"),
            (#""w":[1,2]"#, "not a JSON object"),
            (#""w":{"dtype":"F32","shape":[2],"data_offsets":[0,"8"]}"#, "data_offsets"),
        ]
        for (entry, fragment) in cases {
            try assertCorrupt(SafetensorsTestSupport.rawFile(header: header(entry), data: f32Pair), "tensor 'w'", fragment)
        }
    }

    func testUnknownDtype() throws {
        try assertCorrupt(SafetensorsTestSupport.rawFile(
            header: header(#""w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}"#), data: f32Pair),
            "tensor 'w'", "unknown dtype 'Q4'")
    }

    func testOffsetsOutOfOrderOrOutOfRange() throws {
        try assertCorrupt(SafetensorsTestSupport.rawFile(
            header: header(#""w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}"#), data: f32Pair),
            "tensor 'w'", "out of order")
        try assertCorrupt(SafetensorsTestSupport.rawFile(
            header: header(#""w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}"#), data: f32Pair),
            "tensor 'w'", "out of order")
        try assertCorrupt(SafetensorsTestSupport.rawFile(
            header: header(#""w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}"#), data: f32Pair),
            "tensor 'w'", "beyond the 8-byte data section")
        try assertCorrupt(SafetensorsTestSupport.rawFile(
            header: header(#""w":{"dtype":"F32","shape":[1],"data_offsets":[9223372036854775800,9223372036854775804]}"#),
            data: f32Pair), "tensor 'w'", "beyond")
    }

    func testTruncatedData() throws {
        let whole = SafetensorsTestSupport.rawFile(
            header: header(#""w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#), data: f32Pair)
        try assertCorrupt(Array(whole.dropLast(1)), "tensor 'w'", "beyond the 7-byte data section")
    }

    func testOverlappingTensors() throws {
        try assertCorrupt(SafetensorsTestSupport.rawFile(
            header: header(#""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
                + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}"#),
            data: f32Pair + f32Pair), "'b' overlaps tensor 'a'")
        // The same range twice.
        try assertCorrupt(SafetensorsTestSupport.rawFile(
            header: header(#""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
                + #""b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#),
            data: f32Pair), "overlaps")
    }

    func testShapeDoesNotMatchByteSize() throws {
        try assertCorrupt(SafetensorsTestSupport.rawFile(
            header: header(#""w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}"#), data: f32Pair),
            "tensor 'w'", "needs 12 bytes", "hold 8")
        try assertCorrupt(SafetensorsTestSupport.rawFile(
            header: header(#""w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,8]}"#), data: f32Pair),
            "tensor 'w'", "needs 12 bytes")
        try assertCorrupt(SafetensorsTestSupport.rawFile(
            header: header(#""w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}"#), data: f32Pair),
            "tensor 'w'", "negative")
    }

    func testAbsurdShapesThatOverflow() throws {
        // Products that wrap around 2^64 to small numbers (even to exactly the stored size) must
        // not pass: 2^62 * 2^62 wraps to 0, 2^61 elements of F32 is 2^66 bits.
        let cases = [
            #"[4611686018427387904,4611686018427387904]"#,
            #"[9223372036854775807,2]"#,
            #"[2305843009213693952]"#,
            #"[4294967296,4294967296,0]"#.replacingOccurrences(of: ",0]", with: ",1]"),
        ]
        for shape in cases {
            try assertCorrupt(SafetensorsTestSupport.rawFile(
                header: header(#""w":{"dtype":"F32","shape":\#(shape),"data_offsets":[0,8]}"#), data: f32Pair),
                "tensor 'w'", "absurd shape")
        }
    }

    func testMetadataMustBeStrings() throws {
        try assertCorrupt(SafetensorsTestSupport.rawFile(header: #"{"__metadata__":{"n":1}}"#, data: []), "__metadata__")
    }

    /// Every truncation of a real file, and every single-byte change in its header, is either
    /// refused with an EngineError or (when the damage is harmless) opens and loads every float
    /// tensor; nothing crashes.
    func testEveryTruncationAndHeaderByteFlipFailsCleanly() throws {
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: SafetensorsTestSupport.fixture("dtypes.safetensors"))))
        var variants: [[UInt8]] = (0..<original.count).map { Array(original.prefix($0)) }
        let headerEnd = 8 + Int(original[0]) + Int(original[1]) << 8
        for position in 0..<headerEnd {
            for replacement: UInt8 in [0x00, 0x22, 0x39, 0x7D, original[position] ^ 0x01] {
                var damaged = original
                damaged[position] = replacement
                variants.append(damaged)
            }
        }
        var refused = 0
        for bytes in variants {
            let path = try SafetensorsTestSupport.write(bytes, in: scratch)
            do {
                let file = try SafetensorsFile(path: path)
                for info in file.tensorInfos where info.storageType != nil {
                    XCTAssertEqual(try file.load(info.name).count, info.elementCount)
                }
            } catch is EngineError {
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, variants.count / 2)
    }
}
