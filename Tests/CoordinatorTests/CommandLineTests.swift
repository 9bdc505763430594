import Foundation
import XCTest

/// Command-line conventions: --help everywhere (exit 0), bad usage exit 64 with a one-line
/// reason, errors exit 1 naming the problem, results on stdout.
final class CommandLineTests: XCTestCase {
    override func setUpWithError() throws { try Binaries.require() }

    func testHelpOnEveryCommand() throws {
        for args in [["--help"], ["eval", "--help"], ["prune", "--help"], ["tokenize", "--help"], ["fetch", "--help"],
                     ["keygen", "--help"], ["bench", "--help"], ["bench", "engine", "--help"], ["bench", "tokenizer", "--help"]] {
            let r = try runCommand(Binaries.twossp, args)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("usage: twossp"), "\(args): \(r.stdout)")
        }
        let w = try runCommand(Binaries.worker, ["--help"])
        XCTAssertEqual(w.status, 0)
        XCTAssertTrue(w.stdout.contains("usage: twossp-worker"))
    }

    func testBadUsageExits64WithOneLine() throws {
        let cases: [([String], String)] = [
            ([], "missing command"),
            (["frobnicate"], "unknown command"),
            (["eval"], "--model is required"),
            (["eval", "--model", "x", "--ids", "1,2", "--text", "wiki"], "exactly one of --text or --ids"),
            (["eval", "--model", "x", "--ids", "1,2", "--seq-len", "one"], "--seq-len must be an integer"),
            (["eval", "--model", "x", "--ids", "1,2", "--colour"], "unknown option '--colour'"),
            (["prune", "--model", "x", "--sparsity", "1.5"], "strictly between 0 and 1"),
            (["prune", "--model", "x", "--sparsity", "0.5", "--dtype", "f8"], "--dtype must be"),
            (["prune", "--model", "x", "--sparsity", "0.5", "--expect-workers", "2"], "--expect-workers goes with --listen"),
            (["bench", "gpu"], "unknown benchmark"),
        ]
        for (args, expected) in cases {
            let r = try runCommand(Binaries.twossp, args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, args.isEmpty ? r.stderr.split(separator: "\n").count : 1, "\(args): one line")
        }
        let w = try runCommand(Binaries.worker, ["--connect", "udp://x"])
        XCTAssertEqual(w.status, 64)
    }

    func testErrorsNameTheProblemAndExit1() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("twossp-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = try runCommand(Binaries.twossp, ["eval", "--model", dir.appendingPathComponent("nope.gguf").path, "--ids", "1,2,3"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nope.gguf"), missing.stderr)
        let garbage = dir.appendingPathComponent("garbage.gguf").path
        try Data("GGUF this is not really a gguf file at all".utf8).write(to: URL(fileURLWithPath: garbage))
        let corrupt = try runCommand(Binaries.twossp, ["eval", "--model", garbage, "--ids", "1,2,3"])
        XCTAssertEqual(corrupt.status, 1)
        XCTAssertTrue(corrupt.stderr.contains("garbage.gguf"), corrupt.stderr)
        let tiny = try TinyModelFiles(layers: 2)
        defer { tiny.remove() }
        let outOfVocab = try runCommand(Binaries.twossp, ["eval", "--model", tiny.model, "--ids", "1,2,5000", "--seq-len", "3"])
        XCTAssertEqual(outOfVocab.status, 1)
        XCTAssertTrue(outOfVocab.stderr.contains("5000"), outOfVocab.stderr)
        let shortText = try runCommand(Binaries.twossp, ["prune", "--model", tiny.model, "--sparsity", "0.3", "--calibration", tiny.ids,
                                                         "--calibration-samples", "1000", "--seq-len", "64", "--workers", "0"])
        XCTAssertEqual(shortText.status, 1)
        XCTAssertTrue(shortText.stderr.contains("need 64000 tokens"), shortText.stderr)
        let impossible = try runCommand(Binaries.twossp, ["prune", "--model", tiny.model, "--sparsity", "0.95", "--calibration", tiny.ids,
                                                          "--seq-len", "64", "--calibration-samples", "1", "--attention-count", "0", "--workers", "0"])
        XCTAssertEqual(impossible.status, 1)
        XCTAssertTrue(impossible.stderr.contains("unreachable"), impossible.stderr)
    }
}
