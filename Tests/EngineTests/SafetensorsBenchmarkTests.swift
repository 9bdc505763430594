import Foundation
import XCTest
@testable import Engine

/// Load throughput of a ~512 MB bf16 checkpoint to fp32. Opt-in (it writes 512 MB and means
/// something only in release):
///
///     TWOSSP_BENCH_SAFETENSORS=1 swift test -c release -Xswiftc -enable-testing \
///         --filter SafetensorsBenchmarkTests
final class SafetensorsBenchmarkTests: XCTestCase {
    func testBF16LoadThroughput() throws {
        guard ProcessInfo.processInfo.environment["TWOSSP_BENCH_SAFETENSORS"] != nil else {
            throw XCTSkip("set TWOSSP_BENCH_SAFETENSORS=1 to run the load benchmark")
        }
        let scratch = try SafetensorsTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let path = scratch.appendingPathComponent("model.safetensors").path
        // 32 matrices of 2048 x 4096 (a 7B model's layer slices), values in [-1, 1).
        var random = SplitMix64(seed: 1)
        let tensors: [(name: String, tensor: Tensor)] = (0..<32).map { i in
            let data = (0..<(2048 * 4096)).map { _ in Float(Int(random.next() >> 53) - 1024) / 1024 }
            return ("model.layers.\(i).mlp.up_proj.weight", Tensor(shape: [2048, 4096], data: data))
        }
        try SafetensorsWriter.write(tensors: tensors, dtype: .bf16, metadata: [:], to: path)
        let fileSize = Double(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0)
        var best = Double.infinity
        for _ in 0..<3 {
            let start = Date()
            let file = try SafetensorsFile(path: path)
            var elements = 0
            for name in file.tensorNames { elements += try file.load(name).count }
            best = min(best, Date().timeIntervalSince(start))
            XCTAssertEqual(elements, 32 * 2048 * 4096)
        }
        print(String(format: "safetensors bf16 → fp32 load: %.0f MB in %.3f s = %.2f GB/s of file, %.2f GB/s of fp32",
                     fileSize / 1e6, best, fileSize / best / 1e9, 2 * fileSize / best / 1e9))
    }
}
