import Foundation
import XCTest
@testable import Engine

/// The corpus text rules of assets.md on small inputs whose expected output is written out.
final class AssetCorpusTests: XCTestCase {
    func testWikiOrderStripAndSkips() throws {
        let json = """
        {"b": {"title": "b", "extract": "  B text\\u00a0\\n"},
         "a": {"title": "a", "extract": "A"},
         "\\u00e9t\\u00e9": {"title": "été", "extract": "\\u3000E\\u001c"},
         "Z": {"title": "Z", "extract": " \\t "},
         "c": {"title": "c", "extract": null},
         "d": {"title": "d"},
         "zw": {"title": "zw", "extract": "\\u200bkept\\u200b"}}
        """
        let out = try WikiCorpus.text(summariesJSON: Array(json.utf8), source: "test.json")
        // Code-point order: "Z" < "a" < "b" < ... < "zw" < "été"; "Z", "c", "d" have no text.
        // U+200B is not whitespace for Python's str.strip(), so it stays.
        XCTAssertEqual(String(decoding: out, as: UTF8.self),
                       " = a = \n\nA\n\n = b = \n\nB text\n\n = zw = \n\n\u{200b}kept\u{200b}\n\n = été = \n\nE\n\n")
    }

    func testPythonWhitespaceSet() {
        // Python: [hex(c) for c in range(0x110000) if chr(c).isspace()]
        let pythonSpaces: [UInt32] = [0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
                                      0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
                                      0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]
        var found: [UInt32] = []
        for v in UInt32(0)...0x10FFFF {
            if let scalar = Unicode.Scalar(v), WikiCorpus.isPythonSpace(scalar) { found.append(v) }
        }
        XCTAssertEqual(found, pythonSpaces)
    }

    func testWikiRejectsNonObjectJSON() {
        XCTAssertThrowsError(try WikiCorpus.text(summariesJSON: Array("[1, 2]".utf8), source: "x.json"))
        XCTAssertThrowsError(try WikiCorpus.text(summariesJSON: Array("{\"a\": ".utf8), source: "x.json"))
    }

    func testAustenJoin() {
        XCTAssertEqual(AustenCorpus.text(novels: [["a", "b"], ["c", nil], ["", "d"]]), "a\nb\n\nc\n\n\n\nd\n")
    }
}
