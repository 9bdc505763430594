import Foundation

/// Reads a zip file (a Python wheel) through its central directory: list the entries, and
/// extract one, stored or deflated, with its CRC-32 checked. Every offset and size is checked
/// against the file before use. ZIP64 and encrypted entries are rejected with a clear error.
final class ZipArchive {
    struct Entry {
        let name: String
        let method: UInt16
        let crc32: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
        let flags: UInt16
    }

    let path: String
    let entries: [Entry]
    private let file: MappedFile

    init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        entries = try ZipArchive.readCentralDirectory(file)
    }

    func entry(named name: String) throws -> Entry {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw EngineError.corruptFile(path: path, reason: "no entry '\(name)' in the zip archive")
        }
        return entry
    }

    /// Streams the entry's uncompressed bytes to `sink` and checks size and CRC-32.
    func extract(_ entry: Entry, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let data = try compressedData(of: entry)
        var crc: UInt32 = 0
        var size = 0
        let where_ = "\(path) entry \(entry.name)"
        func checkedSink(_ piece: UnsafeRawBufferPointer) throws {
            size += piece.count
            guard size <= entry.uncompressedSize else {
                throw EngineError.corruptFile(path: where_,
                    reason: "more data than the \(entry.uncompressedSize) bytes the directory declares")
            }
            crc = Inflater.crc32(piece, continuing: crc)
            try sink(piece)
        }
        switch entry.method {
        case 0:
            try checkedSink(data)
        case 8:
            let inflater = try Inflater(.raw, source: where_)
            try inflater.feed(data, sink: checkedSink)
            guard inflater.finished else {
                throw EngineError.corruptFile(path: where_, reason: "deflate stream ends early (truncated)")
            }
        default:
            throw EngineError.unsupported("\(where_): zip compression method \(entry.method)")
        }
        guard size == entry.uncompressedSize else {
            throw EngineError.corruptFile(path: where_,
                reason: "extracted \(size) bytes, the directory declares \(entry.uncompressedSize)")
        }
        guard crc == entry.crc32 else {
            throw EngineError.corruptFile(path: where_,
                reason: String(format: "CRC-32 mismatch (got %08x, expected %08x)", crc, entry.crc32))
        }
    }

    /// The whole uncompressed entry in memory (for small entries such as JSON files).
    func contents(of entry: Entry) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(entry.uncompressedSize)
        try extract(entry) { out.append(contentsOf: $0) }
        return out
    }

    /// Extracts the entry to a new file at `destination`.
    func extract(_ entry: Entry, to destination: URL) throws {
        guard FileManager.default.createFile(atPath: destination.path, contents: nil) else {
            throw EngineError.io(path: destination.path, reason: "cannot create file")
        }
        let handle = try FileHandle(forWritingTo: destination)
        defer { try? handle.close() }
        do {
            try extract(entry) { piece in try handle.write(contentsOf: Data(piece)) }
            try handle.synchronize()
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError.io(path: destination.path, reason: "write failed: \(error.localizedDescription)")
        }
    }

    // MARK: - Parsing

    private func compressedData(of entry: Entry) throws -> UnsafeRawBufferPointer {
        guard entry.flags & 1 == 0 else {
            throw EngineError.unsupported("\(path) entry \(entry.name): encrypted zip entries")
        }
        let header = try file.bytes(at: entry.localHeaderOffset, count: 30)
        guard header.littleEndianUInt32(at: 0) == 0x0403_4b50 else {
            throw EngineError.corruptFile(path: path,
                reason: "entry \(entry.name): no local header at offset \(entry.localHeaderOffset)")
        }
        let start = entry.localHeaderOffset + 30 + Int(header.littleEndianUInt16(at: 26)) + Int(header.littleEndianUInt16(at: 28))
        return try file.bytes(at: start, count: entry.compressedSize)
    }

    private static func readCentralDirectory(_ file: MappedFile) throws -> [Entry] {
        let path = file.path
        // The end-of-central-directory record is 22 bytes plus a comment of up to 65535 bytes.
        guard file.size >= 22 else {
            throw EngineError.corruptFile(path: path, reason: "too small to be a zip archive (\(file.size) bytes)")
        }
        let searchStart = max(0, file.size - 22 - 65535)
        let tail = try file.bytes(at: searchStart, count: file.size - searchStart)
        var eocd = -1
        var i = tail.count - 22
        while i >= 0 {
            if tail.littleEndianUInt32(at: i) == 0x0605_4b50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else {
            throw EngineError.corruptFile(path: path, reason: "no end-of-central-directory record (not a zip file?)")
        }
        let count = Int(tail.littleEndianUInt16(at: eocd + 10))
        let directorySize = Int(tail.littleEndianUInt32(at: eocd + 12))
        let directoryOffset = Int(tail.littleEndianUInt32(at: eocd + 16))
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            throw EngineError.unsupported("\(path): ZIP64 archives")
        }
        let directory = try file.bytes(at: directoryOffset, count: directorySize)
        var entries = [Entry]()
        entries.reserveCapacity(count)
        var p = 0
        for index in 0..<count {
            guard directory.count - p >= 46, directory.littleEndianUInt32(at: p) == 0x0201_4b50 else {
                throw EngineError.corruptFile(path: path, reason: "central directory entry \(index) is malformed")
            }
            let nameLength = Int(directory.littleEndianUInt16(at: p + 28))
            let extraLength = Int(directory.littleEndianUInt16(at: p + 30))
            let commentLength = Int(directory.littleEndianUInt16(at: p + 32))
            let recordLength = 46 + nameLength + extraLength + commentLength
            guard directory.count - p >= recordLength else {
                throw EngineError.corruptFile(path: path, reason: "central directory entry \(index) overruns the directory")
            }
            let nameBytes = UnsafeRawBufferPointer(rebasing: directory[(p + 46)..<(p + 46 + nameLength)])
            let entry = Entry(
                name: String(decoding: nameBytes, as: UTF8.self),
                method: directory.littleEndianUInt16(at: p + 10),
                crc32: directory.littleEndianUInt32(at: p + 16),
                compressedSize: Int(directory.littleEndianUInt32(at: p + 20)),
                uncompressedSize: Int(directory.littleEndianUInt32(at: p + 24)),
                localHeaderOffset: Int(directory.littleEndianUInt32(at: p + 42)),
                flags: directory.littleEndianUInt16(at: p + 8))
            if entry.compressedSize == 0xFFFF_FFFF || entry.uncompressedSize == 0xFFFF_FFFF
                || entry.localHeaderOffset == 0xFFFF_FFFF {
                throw EngineError.unsupported("\(path) entry \(entry.name): ZIP64 sizes")
            }
            entries.append(entry)
            p += recordLength
        }
        return entries
    }
}

extension UnsafeRawBufferPointer {
    /// Fixed-width integers at a byte offset in archive headers; callers check the range first.
    func littleEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    func littleEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    func bigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
