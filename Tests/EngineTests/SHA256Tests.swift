import Foundation
import XCTest
@testable import Engine

final class SHA256Tests: XCTestCase {
    private func digest(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { SHA256.hex(of: $0) } }

    /// FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf", "SHA256_2.pdf") and the million-'a' one.
    func testNISTVectors() {
        XCTAssertEqual(SHA256.hex(of: ""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(of: "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        XCTAssertEqual(digest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Padding edge cases: lengths around the 55/56/64-byte boundaries, against hashlib values
    /// (python3 -c "import hashlib; print(hashlib.sha256(b'a'*N).hexdigest())").
    func testBlockBoundaryLengths() {
        let expected: [Int: String] = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
            65: "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0",
        ]
        for (n, hex) in expected {
            XCTAssertEqual(digest([UInt8](repeating: UInt8(ascii: "a"), count: n)), hex, "length \(n)")
        }
    }

    /// Any split of the input into update() calls gives the one-shot digest.
    func testStreamingMatchesOneShot() {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
        let whole = digest(bytes)
        for chunk in [1, 3, 55, 63, 64, 65, 1000, 4096] {
            var hasher = SHA256()
            bytes.withUnsafeBytes { all in
                var offset = 0
                while offset < all.count {
                    let n = min(chunk, all.count - offset)
                    hasher.update(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + n)]))
                    offset += n
                }
            }
            XCTAssertEqual(hasher.finalizeHex(), whole, "chunk \(chunk)")
        }
    }

    /// A 3 MiB + 5 byte file (byte i = (31 i + 7) mod 256), hashed in 1 MiB chunks, against
    /// python3 -c "import hashlib; n=3*1024*1024+5;
    ///   print(hashlib.sha256(bytes(((i*31+7)&255) for i in range(n))).hexdigest())"
    func testFileDigestMatchesHashlib() throws {
        let n = 3 * 1024 * 1024 + 5
        let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sha256-test-\(getpid()).bin")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertEqual(try SHA256.hex(ofFileAt: url.path),
                       "aacbf7fdf74148b96f47b5a44d8be9f8d52b59c291c5f60cfb68671b58059e56")
    }

    func testMissingFileIsAnIOError() {
        XCTAssertThrowsError(try SHA256.hex(ofFileAt: "/nonexistent/twossp-sha-test")) { error in
            guard case EngineError.io(let path, _)? = error as? EngineError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "/nonexistent/twossp-sha-test")
        }
    }
}
