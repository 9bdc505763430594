import Foundation
import XCTest

/// 2SSP on the real SmolLM2 with small settings, through the command line and local workers:
/// the plan and removal order are pinned (stable run to run, whatever the layout), and the
/// written model — with the tokenizer.json converted from the GGUF vocabulary — reloads with
/// exactly the reported perplexity.
final class SmolLM2PruneTests: XCTestCase {
    func testSmallPruneIsStableAndReloads() throws {
        try Binaries.require()
        let cache = ProcessInfo.processInfo.environment["TWOSSP_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/twossp")
        guard FileManager.default.fileExists(atPath: cache.appendingPathComponent("models/smollm2-135m").path),
              FileManager.default.fileExists(atPath: cache.appendingPathComponent("corpora/wiki.txt").path) else {
            throw XCTSkip("SmolLM2 and wiki are not cached (twossp fetch)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("twossp-smol-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func prune(_ name: String, _ extra: [String]) throws -> [String: Any] {
            let r = try runCommand(Binaries.twossp, ["prune", "--model", "smollm2-135m", "--sparsity", "0.25", "--calibration", "wiki",
                                                     "--calibration-samples", "2", "--seq-len", "256", "--eval", "wiki",
                                                     "--eval-windows", "2", "--out", "\(dir)/\(name)", "--report", "\(dir)/\(name).json",
                                                     "--quiet"] + extra, seconds: 600)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).json"))) as! [String: Any]
        }
        let a = try prune("two-workers", ["--workers", "2"])
        XCTAssertEqual(a["n_attention_removed"] as? Int, 2)
        XCTAssertEqual(a["ffn_width"] as? Int, 1058)
        XCTAssertEqual(a["removed_attention_blocks"] as? [Int], [7, 5])
        let stage2 = a["stage2"] as! [[String: Any]]
        XCTAssertEqual((stage2[0]["candidates"] as! [[String: Any]]).count, 30)
        XCTAssertEqual((stage2[1]["candidates"] as! [[String: Any]]).count, 29)
        let b = try prune("in-process", ["--workers", "0"])
        XCTAssertEqual(b["removed_attention_blocks"] as? [Int], [7, 5])
        XCTAssertEqual(b["kept_neurons_sha256"] as? String, a["kept_neurons_sha256"] as? String)
        XCTAssertEqual(try JSONSerialization.data(withJSONObject: b["stage2"]!, options: .sortedKeys),
                       try JSONSerialization.data(withJSONObject: a["stage2"]!, options: .sortedKeys))
        XCTAssertTrue(FileManager.default.contentsEqual(atPath: "\(dir)/two-workers/model.safetensors", andPath: "\(dir)/in-process/model.safetensors"))

        let reported = (a["pruned_perplexity"] as! [String: Double])["wiki"]!
        // The written directory's own tokenizer.json (converted from the GGUF) tokenizes wiki again.
        let r = try runCommand(Binaries.twossp, ["eval", "--model", "\(dir)/two-workers", "--text", "wiki", "--seq-len", "256",
                                                 "--windows", "2", "--offset-tokens", "512", "--json", "--quiet"], seconds: 300)
        XCTAssertEqual(r.status, 0, r.stderr)
        let eval = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual((eval["perplexity"] as! Double).bitPattern, reported.bitPattern, "reloaded \(eval["perplexity"]!) vs reported \(reported)")
    }
}
