import Foundation
import XCTest

/// The same prune, in process and over 1, 2 and 3 workers in different shard layouts and
/// replicas, local and remote with streamed weights: decisions and model files byte-identical.
final class ClusterDeterminismTests: XCTestCase {
    var tiny: TinyModelFiles!

    override func setUpWithError() throws {
        try Binaries.require()
        tiny = try TinyModelFiles(layers: 6, family: "qwen2")
    }
    override func tearDown() { tiny?.remove() }

    func prune(_ name: String, _ extra: [String]) throws -> (decisions: ReportDecisions, model: Data) {
        let out = tiny.directory.appendingPathComponent(name).path, report = out + ".json"
        let r = try runCommand(Binaries.twossp, tiny.pruneArguments(out: out, report: report) + extra, seconds: 240)
        XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
        return (try ReportDecisions(path: report), try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors")))
    }

    func testEveryLayoutGivesTheSameBytes() throws {
        let reference = try prune("in-process", ["--workers", "0"])
        XCTAssertFalse(reference.decisions.removed.isEmpty, "the run must remove attentions to be a meaningful check")
        for (name, extra) in [("one-worker", ["--workers", "1"]),
                              ("two-shards", ["--workers", "2", "--replicas", "1"]),
                              ("three-shards", ["--workers", "3", "--replicas", "1"]),
                              ("two-replicas-by-default", ["--workers", "2"]),
                              ("three-replicas", ["--workers", "3", "--replicas", "3"]),
                              ("two-shards-no-prefix-cache", ["--workers", "2", "--replicas", "1", "--no-prefix-cache"]),
                              ("in-process-no-prefix-cache", ["--workers", "0", "--no-prefix-cache"])] {
            let run = try prune(name, extra)
            XCTAssertEqual(run.decisions, reference.decisions, name)
            XCTAssertTrue(run.model == reference.model, "\(name): model.safetensors differs")
        }
    }

    func testRemoteWorkersWithStreamedWeights() throws {
        let reference = try prune("in-process", ["--workers", "0"])
        let port = freePort()
        let out = tiny.directory.appendingPathComponent("remote").path
        let coordinator = try Child(Binaries.twossp, tiny.pruneArguments(out: out, report: out + ".json")
                                    + ["--listen", "tcp://127.0.0.1:\(port)", "--expect-workers", "2", "--wait-workers", "60"])
        // No --model: the coordinator streams each worker its shard.
        let workers = try (0..<2).map { i in
            try Child(Binaries.worker, ["--connect", "tcp://127.0.0.1:\(port)", "--threads", "1", "--name", "remote-\(i)", "--wait-seconds", "60"])
        }
        XCTAssertEqual(coordinator.wait(seconds: 240), 0, coordinator.stderr)
        for w in workers { XCTAssertEqual(w.wait(seconds: 30), 0, "a worker ends cleanly after the run: \(w.stderr)") }
        XCTAssertEqual(try ReportDecisions(path: out + ".json"), reference.decisions)
        XCTAssertTrue(try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors")) == reference.model)
    }

    func testWrittenModelReloadsWithTheReportedPerplexity() throws {
        _ = try prune("workers", ["--workers", "2", "--dtype", "bf16"])
        let out = tiny.directory.appendingPathComponent("workers").path
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + ".json"))) as! [String: Any]
        let reported = (report["pruned_perplexity"] as! [String: Double])[tiny.ids]!
        let evalRange = ((report["inputs"] as! [String: Any])["evaluation"] as! [[String: Any]])[0]["token_range"] as! [Int]
        let r = try runCommand(Binaries.twossp, ["eval", "--model", out, "--ids", tiny.ids, "--seq-len", "64", "--windows", "4",
                                                 "--offset-tokens", String(evalRange[0]), "--json", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let eval = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual((eval["perplexity"] as! Double).bitPattern, reported.bitPattern, "eval of the written bf16 model must reproduce the report exactly")
    }
}
