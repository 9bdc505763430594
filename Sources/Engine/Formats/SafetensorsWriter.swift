#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Writes `.safetensors` files byte-for-byte deterministically: tensors stored in the order given,
/// header JSON with sorted keys and no whitespace, padded with spaces to a multiple of 8 bytes as
/// the reference implementation does. The file appears under its name only once complete.
public enum SafetensorsWriter {
    public static func write(tensors: [(name: String, tensor: Tensor)], dtype: StorageType,
                             metadata: [String: String], to path: String) throws {
        guard let dtypeName = SafetensorsDType.name(of: dtype),
              let elementSize = SafetensorsDType.bytesPerElement(of: dtype) else {
            throw EngineError.invalidArgument("cannot write safetensors tensors as \(dtype.rawValue); use F32, F16 or BF16")
        }
        let header = try headerBytes(tensors: tensors, dtypeName: dtypeName, elementSize: elementSize,
                                     metadata: metadata)
        try AtomicFileWriter.write(to: path) { sink in
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try sink.write($0) }
            try header.withUnsafeBytes { try sink.write($0) }
            for (_, tensor) in tensors {
                try writeData(of: tensor, as: dtype, to: sink)
            }
        }
    }

    /// The header JSON including its trailing space padding (length a multiple of 8).
    static func headerBytes(tensors: [(name: String, tensor: Tensor)], dtypeName: String, elementSize: Int,
                            metadata: [String: String]) throws -> [UInt8] {
        var seen = Set<String>()
        var entries: [(key: String, json: String)] = []
        var offset = 0
        for (name, tensor) in tensors {
            guard name != "__metadata__" else {
                throw EngineError.invalidArgument("'__metadata__' cannot be a tensor name in a safetensors file")
            }
            guard seen.insert(name).inserted else {
                throw EngineError.invalidArgument("tensor '\(name)' is given twice for one safetensors file")
            }
            let end = offset + tensor.count * elementSize
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            // Keys inside an entry are sorted too: data_offsets < dtype < shape.
            entries.append((name, "{\"data_offsets\":[\(offset),\(end)],\"dtype\":\"\(dtypeName)\",\"shape\":[\(shape)]}"))
            offset = end
        }
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            entries.append(("__metadata__", "{" + pairs.joined(separator: ",") + "}"))
        }
        entries.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var json = Array(("{" + entries.map { "\(jsonString($0.key)):\($0.json)" }.joined(separator: ",") + "}").utf8)
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        return json
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, other text as UTF-8.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Streams a tensor's elements, converting through a bounded buffer so memory stays flat.
    private static func writeData(of tensor: Tensor, as dtype: StorageType, to sink: AtomicFileWriter.Sink) throws {
        try tensor.data.withUnsafeBufferPointer { values in
            if dtype == .f32 {
                try sink.write(UnsafeRawBufferPointer(values))
                return
            }
            let chunk = 1 << 16
            var buffer = [UInt16](repeating: 0, count: min(chunk, values.count))
            var start = 0
            while start < values.count {
                let n = min(chunk, values.count - start)
                buffer.withUnsafeMutableBufferPointer { out in
                    if dtype == .bf16 {
                        for i in 0..<n { out[i] = SafetensorsConversion.bf16Bits(values[start + i]).littleEndian }
                    } else {
                        for i in 0..<n { out[i] = SafetensorsConversion.f16Bits(values[start + i]).littleEndian }
                    }
                }
                try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<(n * 2)])) }
                start += n
            }
        }
    }
}

/// Writes a file through a temporary sibling that is fsynced and renamed over the target, so a
/// reader sees either the old file, nothing, or the complete new file, never a partial one.
enum AtomicFileWriter {
    final class Sink {
        let fd: Int32
        let path: String
        init(fd: Int32, path: String) { self.fd = fd; self.path = path }

        func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard var pointer = bytes.baseAddress else { return }
            var remaining = bytes.count
            while remaining > 0 {
                let written = Glibc.write(fd, pointer, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw EngineError.io(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
                }
                pointer += written
                remaining -= written
            }
        }
    }

    static func write(to path: String, _ body: (Sink) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw EngineError.io(path: path, reason: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var closed = false
        do {
            try body(Sink(fd: fd, path: temporary))
            guard fsync(fd) == 0 else {
                throw EngineError.io(path: temporary, reason: "fsync failed: \(String(cString: strerror(errno)))")
            }
            closed = true
            guard close(fd) == 0 else {
                throw EngineError.io(path: temporary, reason: "close failed: \(String(cString: strerror(errno)))")
            }
            guard rename(temporary, path) == 0 else {
                throw EngineError.io(path: path, reason: "cannot rename \(temporary) into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            if !closed { close(fd) }
            unlink(temporary)
            throw error
        }
    }
}
