import Foundation
import XCTest
@testable import Engine

/// Bad files must be rejected with an `EngineError` that names the file — never a crash, never
/// a huge allocation, never a silently wrong tensor.
final class GGUFCorruptionTests: GGUFTempFileTestCase {
    private func tinyModel() -> GGUFTestWriter {
        var model = GGUFTinyLlama()
        return model.writer()
    }

    private func patch(_ bytes: [UInt8], at offset: Int, u64 value: UInt64) -> [UInt8] {
        var b = bytes
        withUnsafeBytes(of: value.littleEndian) { b.replaceSubrange(offset..<offset + 8, with: $0) }
        return b
    }

    private func patch(_ bytes: [UInt8], at offset: Int, u32 value: UInt32) -> [UInt8] {
        var b = bytes
        withUnsafeBytes(of: value.littleEndian) { b.replaceSubrange(offset..<offset + 4, with: $0) }
        return b
    }

    /// Asserts a `corruptFile` error for this file whose reason mentions `words`.
    private func assertCorrupt(_ bytes: [UInt8], mentioning words: [String], file: StaticString = #filePath,
                               line: UInt = #line) throws {
        let error = try assertRejected(bytes, words.joined(separator: " "), file: file, line: line)
        guard case .corruptFile(let path, let reason) = error else {
            return XCTFail("expected corruptFile, got \(String(describing: error))", file: file, line: line)
        }
        XCTAssertTrue(path.hasSuffix(".gguf"), file: file, line: line)
        for word in words {
            XCTAssertTrue(reason.contains(word), "'\(reason)' does not mention '\(word)'", file: file, line: line)
        }
    }

    func testEveryTruncationIsRejected() throws {
        let (bytes, _, dataStart) = tinyModel().build()
        XCTAssertNoThrow(try GGUFFile(path: try write(bytes)))
        // Every cut through the header, metadata, tensor infos and padding; then every 499th byte
        // of the data (each cut leaves some tensor's bytes outside the file).
        var cuts = Array(0..<(dataStart + 8))
        cuts += stride(from: dataStart + 8, to: bytes.count, by: 499)
        cuts.append(bytes.count - 1)
        for cut in cuts {
            try assertRejected(Array(bytes[..<cut]), "truncated at \(cut) of \(bytes.count)")
        }
    }

    func testTruncationReasonsAreSpecific() throws {
        let (bytes, infoStart, _) = tinyModel().build()
        try assertCorrupt([], mentioning: ["magic"])
        try assertCorrupt(Array(bytes[..<6]), mentioning: ["version"])
        try assertCorrupt(Array(bytes[..<20]), mentioning: ["metadata entry count"])
        try assertCorrupt(Array(bytes[..<(infoStart + 3)]), mentioning: ["tensor 0"])
        try assertCorrupt(Array(bytes.dropLast()), mentioning: ["output_norm.weight", "past the end"])
    }

    func testWrongMagicAndVersion() throws {
        let bytes = tinyModel().bytes
        try assertCorrupt(Array("GGML".utf8) + bytes.dropFirst(4), mentioning: ["not a GGUF file"])
        try assertCorrupt(Array("GGUG".utf8) + bytes.dropFirst(4), mentioning: ["not a GGUF file"])
        try assertCorrupt(patch(bytes, at: 4, u32: 0), mentioning: ["version 0"])
        try assertCorrupt(patch(bytes, at: 4, u32: 4), mentioning: ["version 4"])
        for unsupported: UInt32 in [1, 0x0300_0000] {
            guard case .unsupported = try assertRejected(patch(bytes, at: 4, u32: unsupported)) else {
                return XCTFail("version \(unsupported) should be unsupported")
            }
        }
    }

    func testAbsurdCounts() throws {
        let bytes = tinyModel().bytes
        for count: UInt64 in [UInt64.max, 1 << 63, 1 << 40, UInt64(bytes.count)] {
            try assertCorrupt(patch(bytes, at: 8, u64: count), mentioning: ["tensor count"])
            try assertCorrupt(patch(bytes, at: 16, u64: count), mentioning: ["metadata entry count"])
        }
        // Plausible but wrong counts: the parser runs into the following bytes.
        try assertRejected(patch(bytes, at: 8, u64: 40))
        try assertRejected(patch(bytes, at: 16, u64: 20))
        try assertRejected(patch(bytes, at: 16, u64: 2))
    }

    func testAbsurdStringLengths() throws {
        let bytes = tinyModel().bytes
        // The first key's length is at offset 24.
        for length: UInt64 in [UInt64.max, 1 << 62, UInt64(bytes.count)] {
            try assertRejected(patch(bytes, at: 24, u64: length))
        }
        try assertCorrupt(patch(bytes, at: 24, u64: UInt64(bytes.count)), mentioning: ["key of metadata entry 0", "claims"])
        // The first value (general.architecture, a string) has its length after key + type.
        let valueLengthAt = 24 + 8 + "general.architecture".utf8.count + 4
        try assertCorrupt(patch(bytes, at: valueLengthAt, u64: 1 << 40), mentioning: ["general.architecture"])
        // A string inside the token array.
        var w = GGUFTestWriter()
        w.metadata = [("tokenizer.ggml.tokens", .array([.string("a"), .string("b")]))]
        let arrayBytes = w.bytes
        let secondStringLength = 24 + 8 + "tokenizer.ggml.tokens".utf8.count + 4 + 4 + 8 + 9
        XCTAssertEqual(arrayBytes[secondStringLength], 1)
        try assertCorrupt(patch(arrayBytes, at: secondStringLength, u64: 1 << 50),
                          mentioning: ["element 1", "tokenizer.ggml.tokens"])
    }

    func testAbsurdArrayLengthsAndTypes() throws {
        var w = GGUFTestWriter()
        w.metadata = [("scores", .array([.float32(1), .float32(2)]))]
        let bytes = w.bytes
        let countAt = 24 + 8 + "scores".utf8.count + 4 + 4
        XCTAssertEqual(bytes[countAt], 2)
        for count: UInt64 in [UInt64.max, 1 << 61, 3] {
            try assertCorrupt(patch(bytes, at: countAt, u64: count), mentioning: ["scores"])
        }
        // Unknown element type and unknown value type.
        try assertCorrupt(patch(bytes, at: countAt - 4, u32: 13), mentioning: ["unknown value type 13"])
        try assertCorrupt(patch(bytes, at: countAt - 8, u32: 99), mentioning: ["unknown value type 99"])
        // Arrays of arrays are fine a few deep, and rejected (not a stack overflow) when absurd.
        var nested: GGUFValue = .array([.uint8(7)])
        for _ in 0..<3 { nested = .array([nested, nested]) }
        w.metadata = [("nested", nested)]
        XCTAssertEqual(try GGUFFile(path: try write(w.bytes)).metadata["nested"], nested)
        var deep: GGUFValue = .array([.uint8(7)])
        for _ in 0..<20 { deep = .array([deep]) }
        w.metadata = [("deep", deep)]
        try assertCorrupt(w.bytes, mentioning: ["nested"])
    }

    func testBadValues() throws {
        var w = GGUFTestWriter()
        w.metadata = [("flag", .bool(true))]
        var bytes = w.bytes
        let boolAt = 24 + 8 + "flag".utf8.count + 4
        XCTAssertEqual(bytes[boolAt], 1)
        bytes[boolAt] = 2
        try assertCorrupt(bytes, mentioning: ["flag", "bool"])
        w.metadata = [("a", .uint32(1)), ("a", .uint32(2))]
        try assertCorrupt(w.bytes, mentioning: ["duplicate metadata key 'a'"])
        for bad: GGUFValue in [.uint32(0), .uint32(3), .uint32(48), .string("32"), .int32(-32)] {
            w.metadata = [("general.alignment", bad)]
            try assertCorrupt(w.bytes, mentioning: ["general.alignment"])
        }
    }

    func testBadTensorInfos() throws {
        func file(_ tensors: [GGUFTestTensor]) -> [UInt8] {
            var w = GGUFTestWriter()
            w.tensors = tensors
            return w.bytes
        }
        let four = [UInt8](repeating: 0, count: 16)
        try assertCorrupt(file([GGUFTestTensor(name: "t", dims: [], type: 0, data: [])]), mentioning: ["'t'", "0 dimensions"])
        try assertCorrupt(file([GGUFTestTensor(name: "t", dims: [1, 1, 1, 1, 4], type: 0, data: four)]), mentioning: ["5 dimensions"])
        try assertCorrupt(file([GGUFTestTensor(name: "t", dims: [1 << 40, 1 << 40], type: 0, data: four)]), mentioning: ["overflow"])
        try assertCorrupt(file([GGUFTestTensor(name: "t", dims: [UInt64.max], type: 0, data: four)]), mentioning: ["absurd"])
        try assertCorrupt(file([GGUFTestTensor(name: "t", dims: [1 << 62], type: 0, data: four)]), mentioning: ["absurd byte size"])
        try assertCorrupt(file([GGUFTestTensor(name: "t", dims: [1 << 40], type: 0, data: four)]), mentioning: ["past the end"])
        try assertCorrupt(file([GGUFTestTensor(name: "t", dims: [31], type: 8, data: [UInt8](repeating: 0, count: 34))]),
                          mentioning: ["block size 32"])
        try assertCorrupt(file([.f32("t", dims: [4], [1, 2, 3, 4]), .f32("t", dims: [4], [1, 2, 3, 4])]),
                          mentioning: ["duplicate tensor name 't'"])
    }

    func testBadTensorOffsets() throws {
        func file(secondOffset: UInt64) -> [UInt8] {
            var w = GGUFTestWriter()
            w.tensors = [.f32("a", dims: [8], Array(repeating: 1, count: 8)),
                         .f32("b", dims: [8], Array(repeating: 2, count: 8))]
            w.tensors[1].offsetOverride = secondOffset
            return w.bytes
        }
        XCTAssertNoThrow(try GGUFFile(path: try write(file(secondOffset: 32))))
        try assertCorrupt(file(secondOffset: 4), mentioning: ["'b'", "not a multiple of the alignment 32"])
        try assertCorrupt(file(secondOffset: 64), mentioning: ["'b'", "past the end"])
        try assertCorrupt(file(secondOffset: 1 << 40), mentioning: ["'b'", "past the end"])
        try assertCorrupt(file(secondOffset: UInt64(Int.max) - 31), mentioning: ["'b'", "past the end"])
        try assertCorrupt(file(secondOffset: UInt64.max - 31), mentioning: ["data offset of tensor 'b'", "absurd"])
        try assertCorrupt(file(secondOffset: 0), mentioning: ["overlap"])
    }

    /// Random byte corruption of the header region: whatever happens must be an EngineError,
    /// including when the damaged file opens and its config or tensors are then read.
    func testRandomCorruptionNeverCrashes() throws {
        let (bytes, _, dataStart) = tinyModel().build()
        var rng = GGUFSplitMix(state: 7)
        var opened = 0
        for _ in 0..<400 {
            var b = bytes
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                b[Int(rng.next() % UInt64(dataStart))] = rng.byte()
            }
            let path = try write(b, name: "fuzz.gguf")
            do {
                let source = try GGUFTensorSource(path: path)
                opened += 1
                for name in source.tensorNames { _ = try source.load(name) }
            } catch is EngineError {
            } catch {
                XCTFail("non-EngineError \(error)")
            }
        }
        XCTAssertLessThan(opened, 400, "corruption should usually be detected")
    }
}
