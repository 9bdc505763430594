#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A read-only memory map of a whole file. Model files are mapped, not read, so that loading a
/// shard of blocks touches (and costs resident memory for) only the pages of those tensors.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let size: Int
    /// Base of the mapping; valid for the object's lifetime. Nil for an empty file.
    public let base: UnsafeRawPointer?

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw EngineError.io(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw EngineError.io(path: path, reason: String(cString: strerror(errno)))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw EngineError.io(path: path, reason: "not a regular file")
        }
        size = Int(st.st_size)
        if size == 0 { base = nil; return }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw EngineError.io(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// Bytes [offset, offset+count) as a raw buffer, or a corrupt-file error if out of range.
    public func bytes(at offset: Int, count: Int) throws -> UnsafeRawBufferPointer {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw EngineError.corruptFile(path: path,
                reason: "range \(offset)..<\(offset &+ count) lies outside the file (\(size) bytes)")
        }
        guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + offset, count: count)
    }
}
