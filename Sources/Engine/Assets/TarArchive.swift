import Foundation

/// Lists the members of an uncompressed tar image held in memory (ustar, GNU and pax forms:
/// GNU `L` long names and pax `path` records are honoured). Header checksums, octal fields and
/// member sizes are validated against the image before any member data is used.
struct TarArchive {
    struct Member {
        let name: String
        /// ustar type flag: "0" or NUL regular file, "5" directory, "2" symlink, ...
        let type: UInt8
        /// Byte range of the member's data inside the image.
        let range: Range<Int>
        var isRegularFile: Bool { type == UInt8(ascii: "0") || type == 0 }
    }

    let members: [Member]

    /// `source` names the archive in errors.
    init(image: UnsafeRawBufferPointer, source: String) throws {
        var members = [Member]()
        var offset = 0
        var pendingName: String?  // from a GNU 'L' or pax 'x' record, applies to the next member
        while true {
            guard image.count - offset >= 512 else {
                // A few writers omit the end-of-archive blocks; anything else is truncation.
                if offset == image.count { break }
                throw EngineError.corruptFile(path: source, reason: "tar image truncated inside a header at offset \(offset)")
            }
            let header = UnsafeRawBufferPointer(rebasing: image[offset..<(offset + 512)])
            if header.allSatisfy({ $0 == 0 }) { break }  // end-of-archive marker
            try TarArchive.verifyChecksum(header, offset: offset, source: source)
            let size = try TarArchive.number(header, 124, 12, offset: offset, source: source)
            let type = header[156]
            let dataStart = offset + 512
            guard size <= image.count - dataStart else {
                throw EngineError.corruptFile(path: source,
                    reason: "tar member at offset \(offset) declares \(size) bytes, past the end of the archive")
            }
            let range = dataStart..<(dataStart + size)
            let data = UnsafeRawBufferPointer(rebasing: image[range])
            switch type {
            case UInt8(ascii: "L"):  // GNU long name for the next member
                pendingName = TarArchive.string(data)
            case UInt8(ascii: "x"):  // pax extended header for the next member
                if let path = TarArchive.paxPath(data) { pendingName = path }
            case UInt8(ascii: "g"), UInt8(ascii: "K"):  // global pax header, GNU long link name
                break
            default:
                var name = TarArchive.string(UnsafeRawBufferPointer(rebasing: header[0..<100]))
                let magic = TarArchive.string(UnsafeRawBufferPointer(rebasing: header[257..<263]))
                if magic == "ustar" {  // POSIX ustar: a prefix field continues the name
                    let prefix = TarArchive.string(UnsafeRawBufferPointer(rebasing: header[345..<500]))
                    if !prefix.isEmpty { name = prefix + "/" + name }
                }
                members.append(Member(name: pendingName ?? name, type: type, range: range))
                pendingName = nil
            }
            let padded = (size + 511) / 512 * 512
            offset = dataStart + min(padded, image.count - dataStart)
        }
        self.members = members
    }

    // MARK: - Header fields

    private static func verifyChecksum(_ header: UnsafeRawBufferPointer, offset: Int, source: String) throws {
        let stored = try number(header, 148, 8, offset: offset, source: source)
        var sum = 0
        for i in 0..<512 { sum += (148..<156).contains(i) ? 32 : Int(header[i]) }
        guard sum == stored else {
            throw EngineError.corruptFile(path: source,
                reason: "tar header at offset \(offset) has a bad checksum (stored \(stored), computed \(sum))")
        }
    }

    /// An octal field (NUL/space padded), or GNU base-256 when the high bit of the first byte is set.
    private static func number(_ header: UnsafeRawBufferPointer, _ start: Int, _ length: Int,
                               offset: Int, source: String) throws -> Int {
        let field = UnsafeRawBufferPointer(rebasing: header[start..<(start + length)])
        if field[0] & 0x80 != 0 {
            var value = Int(field[0] & 0x7f)
            for byte in field.dropFirst() {
                guard value < (Int.max >> 8) else {
                    throw EngineError.corruptFile(path: source, reason: "tar header at offset \(offset): number too large")
                }
                value = value << 8 | Int(byte)
            }
            return value
        }
        var value = 0
        var seenDigit = false
        for byte in field {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard value < (Int.max >> 3) else {
                    throw EngineError.corruptFile(path: source, reason: "tar header at offset \(offset): number too large")
                }
                value = value << 3 | Int(byte - UInt8(ascii: "0"))
                seenDigit = true
            case 0, UInt8(ascii: " "):
                if seenDigit { return value }
            default:
                throw EngineError.corruptFile(path: source,
                    reason: "tar header at offset \(offset): byte \(byte) in a numeric field")
            }
        }
        return value
    }

    /// A NUL-terminated field as UTF-8 text.
    private static func string(_ field: UnsafeRawBufferPointer) -> String {
        let end = field.firstIndex(of: 0) ?? field.count
        return String(decoding: UnsafeRawBufferPointer(rebasing: field[0..<end]), as: UTF8.self)
    }

    /// The `path` record of a pax header: lines "LEN key=value\n".
    private static func paxPath(_ data: UnsafeRawBufferPointer) -> String? {
        let text = String(decoding: data, as: UTF8.self)
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let record = line[line.index(after: space)...]
            if record.hasPrefix("path=") { return String(record.dropFirst(5)) }
        }
        return nil
    }
}
