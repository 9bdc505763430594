import Foundation
import XCTest

/// Coordinator and workers on different "hosts": network namespaces with their own addresses
/// joined by a bridge (cluster/netns-hosts.sh), real TCP between them. The bytes must equal
/// the one-host run's.
final class MultiHostTests: XCTestCase {
    func testWorkersInOtherNetworkNamespaces() throws {
        try Binaries.require()
        guard getuid() == 0 else { throw XCTSkip("network namespaces need root") }
        let script = Binaries.repository.appendingPathComponent("cluster/netns-hosts.sh").path
        let up = try runCommand("/bin/bash", [script, "up", "3"], seconds: 60)
        guard up.status == 0 else { throw XCTSkip("cannot create network namespaces here: \(up.stderr)") }
        defer { _ = try? runCommand("/bin/bash", [script, "down", "--kill"], seconds: 60) }
        let tiny = try TinyModelFiles(layers: 5)
        defer { tiny.remove() }
        let reference = tiny.directory.appendingPathComponent("reference").path
        XCTAssertEqual(try runCommand(Binaries.twossp, tiny.pruneArguments(out: reference, report: reference + ".json") + ["--workers", "0"]).status, 0)

        let host0 = try runCommand("/bin/bash", [script, "addr", "0"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(host0.hasPrefix("198.18.0."), host0)
        let out = tiny.directory.appendingPathComponent("netns").path
        // Keys are required off loopback; this private test bridge is the --insecure case.
        let coordinator = try Child("/bin/bash", [script, "exec", "0", Binaries.twossp] + tiny.pruneArguments(out: out, report: out + ".json", quiet: false)
                                    + ["--listen", "tcp://\(host0):5555", "--expect-workers", "2", "--wait-workers", "60", "--insecure"])
        let workers = try (1...2).map { i in
            try Child("/bin/bash", [script, "exec", String(i), Binaries.worker, "--connect", "tcp://\(host0):5555", "--threads", "1",
                                    "--name", "netns-\(i)", "--wait-seconds", "60"])
        }
        XCTAssertEqual(coordinator.wait(seconds: 240), 0, coordinator.stderr)
        for w in workers { XCTAssertEqual(w.wait(seconds: 30), 0, w.stderr) }
        XCTAssertTrue(coordinator.stderr.contains("198.18.0."), "workers joined from their own addresses: \(coordinator.stderr)")
        XCTAssertEqual(try ReportDecisions(path: out + ".json"), try ReportDecisions(path: reference + ".json"))
        XCTAssertTrue(try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors"))
                      == Data(contentsOf: URL(fileURLWithPath: reference + "/model.safetensors")))
    }
}
