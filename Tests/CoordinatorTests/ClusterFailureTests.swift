import Foundation
import XCTest

/// Liveness, security and bad peers: every failure ends the run with a reason, never a hang.
final class ClusterFailureTests: XCTestCase {
    var tiny: TinyModelFiles!

    override func setUpWithError() throws {
        try Binaries.require()
        tiny = try TinyModelFiles(layers: 4)
    }
    override func tearDown() { tiny?.remove() }

    func coordinator(port: Int, workers: Int, extra: [String] = []) throws -> Child {
        let out = tiny.directory.appendingPathComponent("out-\(port)").path
        return try Child(Binaries.twossp, tiny.pruneArguments(out: out, report: out + ".json", quiet: false)
                         + ["--listen", "tcp://127.0.0.1:\(port)", "--expect-workers", String(workers), "--wait-workers", "60"] + extra)
    }

    func worker(port: Int, name: String, extra: [String] = []) throws -> Child {
        try Child(Binaries.worker, ["--connect", "tcp://127.0.0.1:\(port)", "--threads", "1", "--name", name, "--wait-seconds", "30"] + extra)
    }

    func testAWorkerThatStopsAnsweringIsDetectedAndNamed() throws {
        for (sig, name) in [(SIGSTOP, "stopped"), (SIGKILL, "killed")] {
            let port = freePort()
            let c = try coordinator(port: port, workers: 2)
            let healthy = try worker(port: port, name: "healthy")
            let victim = try worker(port: port, name: "victim-\(name)")
            // Stop it as soon as it has joined, before it can answer the shard request.
            let deadline = Date().addingTimeInterval(30)
            while !c.stderr.contains("victim-\(name)") && Date() < deadline { usleep(5_000) }
            XCTAssertTrue(c.stderr.contains("victim-\(name)"), "the victim joined: \(c.stderr)\n\(victim.stderr)")
            victim.signal(sig)
            let started = Date()
            XCTAssertNotEqual(c.wait(seconds: 30), 0)
            let took = Date().timeIntervalSince(started)
            XCTAssertLessThan(took, 10, "detected within a few seconds (took \(took) s)")
            XCTAssertTrue(c.stderr.contains("victim-\(name)") && c.stderr.contains("was lost"), c.stderr)
            // A stopped process misses heartbeats; a killed one may also be noticed by its closed connection.
            XCTAssertTrue(c.stderr.contains("no heartbeat") || (sig == SIGKILL && c.stderr.contains("no longer connected")), c.stderr)
            victim.signal(SIGKILL)
            XCTAssertEqual(healthy.wait(seconds: 30), 0, "the healthy worker is told the run is over: \(healthy.stderr)")
        }
    }

    func testOnlyAllowedKeysJoin() throws {
        let keys = tiny.directory.appendingPathComponent("keys").path
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        for name in ["coordinator", "good-a", "good-b", "intruder"] {
            XCTAssertEqual(try runCommand(Binaries.twossp, ["keygen", "--out", "\(keys)/\(name)"]).status, 0)
        }
        let allowed = "\(keys)/allowed"
        let list = try ["good-a", "good-b"].map { try String(contentsOfFile: "\(keys)/\($0).pub", encoding: .utf8) }.joined()
        try ("# workers allowed to join\n" + list).write(toFile: allowed, atomically: true, encoding: .utf8)
        let reference = tiny.directory.appendingPathComponent("reference").path
        XCTAssertEqual(try runCommand(Binaries.twossp, tiny.pruneArguments(out: reference, report: reference + ".json") + ["--workers", "0"]).status, 0)

        let port = freePort()
        let c = try coordinator(port: port, workers: 2, extra: ["--secret-key", "\(keys)/coordinator.key", "--allowed-keys", allowed])
        let server = ["--server-key", "\(keys)/coordinator.pub"]
        let intruder = try worker(port: port, name: "intruder", extra: ["--secret-key", "\(keys)/intruder.key", "--wait-seconds", "8"] + server)
        XCTAssertTrue(c.waitForOutput("not in the allowed list", seconds: 20), "the unknown key is refused: \(c.stderr)")
        let good = try ["good-a", "good-b"].map { try worker(port: port, name: $0, extra: ["--secret-key", "\(keys)/\($0).key"] + server) }
        XCTAssertEqual(c.wait(seconds: 120), 0, c.stderr)
        for g in good { XCTAssertEqual(g.wait(seconds: 30), 0, g.stderr) }
        XCTAssertEqual(intruder.wait(seconds: 30), 3, "the intruder never gets an answer and gives up: \(intruder.stderr)")
        XCTAssertFalse(c.stderr.contains("intruder"), "the intruder never joined")
        let out = tiny.directory.appendingPathComponent("out-\(port)").path
        XCTAssertEqual(try ReportDecisions(path: out + ".json"), try ReportDecisions(path: reference + ".json"))
    }

    func testNonLoopbackListenWithoutKeysIsRefused() throws {
        let r = try runCommand(Binaries.twossp, tiny.pruneArguments(out: "/tmp/x", report: "/tmp/x.json")
                               + ["--listen", "tcp://0.0.0.0:5999", "--expect-workers", "1"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("without CURVE keys"), r.stderr)
    }

    /// An independent ZeroMQ client (pyzmq) speaking garbage and another wire version: both are
    /// refused with a reason, and the run completes with the real workers.
    func testForeignPeersAreRefusedAndDoNotDisturbTheRun() throws {
        guard (try? runCommand("/usr/bin/env", ["python3", "-c", "import zmq"]).status) == 0 else {
            throw XCTSkip("pyzmq is not installed (scripts/test.sh installs it)")
        }
        let port = freePort()
        let c = try coordinator(port: port, workers: 2)
        let script = """
        import zmq, struct, sys
        ctx = zmq.Context()
        def ask(frames):
            s = ctx.socket(zmq.DEALER); s.setsockopt(zmq.LINGER, 0); s.setsockopt(zmq.RCVTIMEO, 10000)
            s.connect("tcp://127.0.0.1:\(port)"); s.send_multipart(frames)
            reply = s.recv_multipart(); s.close()
            assert reply[0][:4] == b"2SSP" and reply[0][4] == 3, reply
            return reply[0][9:].decode()
        print("garbage:", ask([b"GET / HTTP/1.1\\r\\n\\r\\n"]))
        print("version:", ask([b"2SSP" + bytes([1]) + struct.pack("<HH", 99, 0) + b"future"]))
        print("not hello:", ask([b"2SSP" + bytes([4])]))
        """
        let client = try runCommand("/usr/bin/env", ["python3", "-c", script], seconds: 60)
        XCTAssertEqual(client.status, 0, client.stderr)
        XCTAssertTrue(client.stdout.contains("garbage: not a twossp hello"), client.stdout)
        XCTAssertTrue(client.stdout.contains("version: wire version 99.0 is incompatible"), client.stdout)
        XCTAssertTrue(client.stdout.contains("not hello: expected a hello first"), client.stdout)
        let workers = try (0..<2).map { try worker(port: port, name: "real-\($0)") }
        XCTAssertEqual(c.wait(seconds: 120), 0, c.stderr)
        XCTAssertTrue(c.stderr.contains("refused peer") && c.stderr.contains("incompatible"), c.stderr)
        for w in workers { XCTAssertEqual(w.wait(seconds: 30), 0) }
    }
}
