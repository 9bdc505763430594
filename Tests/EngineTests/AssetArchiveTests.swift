import Foundation
import XCTest
@testable import Engine

/// The zip, tar and inflate readers on tiny archives written by Python's zipfile / tarfile /
/// gzip / zlib (the generator is quoted next to each fixture), plus damaged copies of them.
final class AssetArchiveTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("twossp-archive-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    private func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func fixture(_ base64: String) -> [UInt8] { Array(Data(base64Encoded: base64)!) }

    // MARK: zip

    /// zipfile.ZipFile(buf, 'w') with ZipInfo(date_time=(2020,1,1,0,0,0)):
    /// 'a.txt' STORED b'hello, stored\n'; 'dir/b.txt' DEFLATED b'The quick brown fox jumps over
    /// the lazy dog. '*40; 'café.txt' DEFLATED 'Café ☕\n'.encode().
    static let zipFixture = "UEsDBBQAAAAAAAAAIVBjqxWPDgAAAA4AAAAFAAAAYS50eHRoZWxsbywgc3RvcmVkClBLAwQUAAAACAAAACFQ5sOVZD4AAAAIBwAACQAAAGRpci9iLnR4dAvJSFUoLM1MzlZIKsovz1NIy69QyCrNLShWyC9LLVIoAUrnJFZVKqTkp+sphIwqHlU8qnhU8ajiUcXDSzEAUEsDBBQAAAgIAAAAIVCA9SmqDAAAAAoAAAAJAAAAY2Fmw6kudHh0c05MO7xS4dGMqVwAUEsBAhQDFAAAAAAAAAAhUGOrFY8OAAAADgAAAAUAAAAAAAAAAAAAAIABAAAAAGEudHh0UEsBAhQDFAAAAAgAAAAhUObDlWQ+AAAACAcAAAkAAAAAAAAAAAAAAIABMQAAAGRpci9iLnR4dFBLAQIUAxQAAAgIAAAAIVCA9SmqDAAAAAoAAAAJAAAAAAAAAAAAAACAAZYAAABjYWbDqS50eHRQSwUGAAAAAAMAAwChAAAAyQAAAAAA"

    func testZipListsAndExtractsStoredAndDeflatedEntries() throws {
        let zip = try ZipArchive(path: try file("t.zip", fixture(Self.zipFixture)))
        XCTAssertEqual(zip.entries.map(\.name), ["a.txt", "dir/b.txt", "café.txt"])
        XCTAssertEqual(zip.entries.map(\.method), [0, 8, 8])
        XCTAssertEqual(try zip.contents(of: zip.entry(named: "a.txt")), Array("hello, stored\n".utf8))
        let fox = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 40)
        XCTAssertEqual(try zip.contents(of: zip.entry(named: "dir/b.txt")), Array(fox.utf8))
        XCTAssertEqual(try zip.contents(of: zip.entry(named: "café.txt")), Array("Café ☕\n".utf8))
        let out = scratch.appendingPathComponent("b.txt")
        try zip.extract(zip.entry(named: "dir/b.txt"), to: out)
        XCTAssertEqual(try Data(contentsOf: out), Data(fox.utf8))
        XCTAssertThrowsError(try zip.entry(named: "missing.txt"))
    }

    func testZipDamageIsReportedNotCrashed() throws {
        let good = fixture(Self.zipFixture)
        // Truncations at many points: each must throw a corrupt/unsupported error, never crash.
        for cut in stride(from: 0, to: good.count, by: 7) {
            let path = try file("cut\(cut).zip", Array(good[0..<cut]))
            XCTAssertThrowsError(try { let z = try ZipArchive(path: path); for e in z.entries { _ = try z.contents(of: e) } }(),
                                 "truncated at \(cut)")
        }
        // A flipped byte inside the deflated data of dir/b.txt: CRC or inflate error.
        var flipped = good
        flipped[88 + 10] ^= 0x55  // its data starts at 49 (local header) + 30 + 9 (name)
        let zip = try ZipArchive(path: try file("flip.zip", flipped))
        XCTAssertThrowsError(try zip.contents(of: zip.entry(named: "dir/b.txt"))) { error in
            XCTAssertTrue("\(error)".contains("dir/b.txt"), "\(error)")
        }
        // Central directory offset pointing past the end of the file.
        var badOffset = good
        let eocd = good.count - 22
        badOffset[eocd + 16] = 0xff; badOffset[eocd + 17] = 0xff; badOffset[eocd + 18] = 0x00
        XCTAssertThrowsError(try ZipArchive(path: try file("off.zip", badOffset))) { error in
            guard case EngineError.corruptFile? = error as? EngineError else { return XCTFail("\(error)") }
        }
    }

    // MARK: tar

    /// tarfile.open(mode='w', format=F) holding 'pkg/' (dir), 'pkg/short.txt' b'short file\n', a
    /// 139-character name b'long name file\n', 'pkg/empty.txt' b''; then gzip.compress(mtime=0).
    /// GNU writes the long name as an 'L' record, PAX as an 'x' header, USTAR via the prefix field.
    static let tarFixtures = [
        "gnu": "H4sIAAAAAAACA+3WQQqDMBQE0Kx7ipzARBPjtgfwDiJtakWroino7RtdFBRpoTS6cN4mIdth8n9TZIw4xi0l5XRay3PlrqQShIZkA8/OpC2l5KAam393r1vjmd7slb8v5vn7XChOKEf+zk3Z01te6hOB4/GYx85xXWVxXhUO+7/S+3fnA18u/v8oCgNCY/R/k/+/tPEn17zVF1O3Q1KlD538+431HzmcPrB3/t/nfzTvvwjEuP9h/rs3ZkXH1LADHLb/+tGYYc/9f3m3+3+I/gMAAAAAAAAAAAAAAPzkBZHR1uYAKAAA",
        "pax": "H4sIAAAAAAACA+3WuwrCMBgF4Mw+RZ6guTStOAiOjr5BCRrb4qUlRqhvb+IgWERBTDv0fEtClw6Hk/9vDyUjkXEvV+pxev3zzT3PZEpoRgZwvTht/S/JNLU+/0vVWJe4zo2Vv0hf8xdcSU4oR/7RPbKn+/poZgSmJ2EJW210tzZ6Z2y8/r/p/bPzUmb9/kuhCO3Q/+iEWtBWu2oZBsGxOZfFrrZm6xp7K876ZIp/f2PdR2EM4SUadv7Hjv37/J+/9j+VKux/mP/xhaxoSA07wGT7b06tu425//fvfv8X6D8AAAAAAAAAAAAAAMBP7p+CcnkAKAAA",
        "ustar": "H4sIAAAAAAACA+3V3wqCMBTH8V33FD5BTaf2OCK1TPIfukDfvumdEkWkSfj93GzsYhv8OOdUt+QgFiat0PeH1ZquT/Zh4CnhBOIH7o2Ja/uk2KbK5t9cy9rsTWvWyt9V4/xd6XtSOJL8Fzdk71zSTO8Etqd9aZ6m8L7+j+P695Ur1Z/Xf99Ys7JIonNa65Mp6y4q4lxHc599+c3+Sqe/iB6w2fmv88p0a87/6d7Of1cx/wEAAAAAAAAAAADgEw+q/CwMACgAAA==",
    ]
    static let longName = "pkg/" + String(repeating: "long_directory_name_", count: 5) + "/" + String(repeating: "x", count: 30) + ".txt"

    func testTarReadsGNUPaxAndUstarNames() throws {
        for (format, base64) in Self.tarFixtures {
            let gz = fixture(base64)
            let image = try gz.withUnsafeBytes { try Inflater.inflateAll($0, wrapping: .gzip, source: format) }
            XCTAssertEqual(image.count, 10240, format)  // tarfile pads to a 10 KiB record
            try image.withUnsafeBytes { bytes in
                let tar = try TarArchive(image: bytes, source: format)
                let files = tar.members.filter(\.isRegularFile)
                XCTAssertEqual(files.map(\.name), ["pkg/short.txt", Self.longName, "pkg/empty.txt"], format)
                XCTAssertEqual(files.map { Array(bytes[$0.range]) },
                               [Array("short file\n".utf8), Array("long name file\n".utf8), []], format)
                XCTAssertEqual(tar.members.first?.type, UInt8(ascii: "5"), format)
            }
        }
    }

    func testTarDamageIsReportedNotCrashed() throws {
        let image = try fixture(Self.tarFixtures["ustar"]!).withUnsafeBytes {
            try Inflater.inflateAll($0, wrapping: .gzip, source: "ustar")
        }
        var badChecksum = image
        badChecksum[512 + 5] ^= 1  // a byte of the name of the second header
        XCTAssertThrowsError(try badChecksum.withUnsafeBytes { try TarArchive(image: $0, source: "t") }) { error in
            XCTAssertTrue("\(error)".contains("checksum"), "\(error)")
        }
        var hugeSize = image  // pkg/short.txt claims 8 GB; its checksum fixed to match
        let size = Array("77777777777".utf8)
        for i in 0..<11 { hugeSize[512 + 124 + i] = size[i] }
        var sum = 0
        for i in 0..<512 { sum += (148..<156).contains(i) ? 32 : Int(hugeSize[512 + i]) }
        let field = Array(String(format: "%06o\0 ", sum).utf8)
        for i in 0..<8 { hugeSize[512 + 148 + i] = field[i] }
        XCTAssertThrowsError(try hugeSize.withUnsafeBytes { try TarArchive(image: $0, source: "t") }) { error in
            XCTAssertTrue("\(error)".contains("past the end"), "\(error)")
        }
        XCTAssertThrowsError(try Array(image[0..<700]).withUnsafeBytes { try TarArchive(image: $0, source: "t") })
    }

    // MARK: inflate

    /// zlib.compress(b'R lazy-load record ' * 100) and gzip.compress(b'gzip member\n', mtime=0).
    func testInflateZlibAndGzipWithSizeChecks() throws {
        let zlibData = Array(Data(base64Encoded: "eJwLUshJrKrUzclPTFEoSk3OL0pRCBoVGhUaFRoVGhUaFRoVop4QAMwNolc=")!)
        let payload = Array(String(repeating: "R lazy-load record ", count: 100).utf8)
        XCTAssertEqual(try zlibData.withUnsafeBytes { try Inflater.inflateAll($0, wrapping: .zlib, source: "z", expectedSize: payload.count) }, payload)
        XCTAssertThrowsError(try zlibData.withUnsafeBytes { try Inflater.inflateAll($0, wrapping: .zlib, source: "z", expectedSize: payload.count - 1) })
        XCTAssertThrowsError(try Array(zlibData.dropLast(6)).withUnsafeBytes { try Inflater.inflateAll($0, wrapping: .zlib, source: "z") }) { error in
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
        XCTAssertThrowsError(try zlibData.withUnsafeBytes { try Inflater.inflateAll($0, wrapping: .gzip, source: "z") })

        let gz = Array(Data(base64Encoded: "H4sIAAAAAAACA0uvyixQyE3NTUot4gIAvwOg7gwAAAA=")!)
        XCTAssertEqual(try gz.withUnsafeBytes { try Inflater.inflateAll($0, wrapping: .gzip, source: "g") }, Array("gzip member\n".utf8))
    }

    func testCRC32KnownValue() {
        // zlib.crc32(b'123456789') == 0xCBF43926 (the CRC-32 check value).
        XCTAssertEqual(Array("123456789".utf8).withUnsafeBytes { Inflater.crc32($0) }, 0xCBF4_3926)
    }
}
