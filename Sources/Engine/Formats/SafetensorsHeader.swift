import Foundation

/// One tensor entry of a safetensors header, validated against the file.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let name: String
    /// The dtype as written in the file ("BF16", "I64", ...).
    public let dtype: String
    /// The type we convert from, or nil if the dtype is not one we load.
    public let storageType: StorageType?
    public let shape: [Int]
    public let elementCount: Int
    /// Absolute byte range of the tensor's data in the file.
    public let fileRange: Range<Int>
}

/// Parses and validates `[u64 LE N][N bytes JSON][data]` against the mapped file, so that every
/// later read is known to lie inside the file and inside its own tensor.
enum SafetensorsHeader {
    /// The reference implementation refuses headers above 100 MB; a larger one means corruption.
    static let maxHeaderBytes = 100_000_000

    struct Parsed {
        var tensors: [SafetensorsTensorInfo]   // ordered by data offset
        var metadata: [String: String]
        var dataStart: Int
    }

    static func parse(_ file: MappedFile) throws -> Parsed {
        let path = file.path
        func corrupt(_ reason: String) -> EngineError { .corruptFile(path: path, reason: reason) }

        guard file.size >= 8 else {
            throw corrupt("file is \(file.size) bytes, too short for the 8-byte header length")
        }
        let lengthBytes = try file.bytes(at: 0, count: 8)
        let n = UInt64(littleEndian: lengthBytes.loadUnaligned(as: UInt64.self))
        guard n <= UInt64(file.size - 8) else {
            throw corrupt("header length \(n) runs past the end of the file (\(file.size) bytes)")
        }
        guard n <= UInt64(maxHeaderBytes) else {
            throw corrupt("header length \(n) exceeds the \(maxHeaderBytes)-byte limit")
        }
        let headerLength = Int(n)
        let dataStart = 8 + headerLength
        let dataSize = file.size - dataStart
        let headerBytes = try file.bytes(at: 8, count: headerLength)

        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: Data(headerBytes))
        } catch let problem as HeaderProblem {
            throw corrupt(problem.reason)
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw corrupt("header is not a JSON object")
        } catch {
            throw corrupt("header is not valid JSON (\(describe(error)))")
        }

        var tensors: [SafetensorsTensorInfo] = []
        tensors.reserveCapacity(raw.tensors.count)
        for entry in raw.tensors {
            tensors.append(try validate(entry, dataStart: dataStart, dataSize: dataSize, corrupt: corrupt))
        }
        // Sorted by start (then end), each tensor must begin at or after the previous one's end.
        tensors.sort { ($0.fileRange.lowerBound, $0.fileRange.upperBound, $0.name)
                        < ($1.fileRange.lowerBound, $1.fileRange.upperBound, $1.name) }
        for (previous, next) in zip(tensors, tensors.dropFirst())
        where next.fileRange.lowerBound < previous.fileRange.upperBound {
            throw corrupt("tensor '\(next.name)' overlaps tensor '\(previous.name)' "
                + "(data offsets \(next.fileRange.lowerBound - dataStart) < "
                + "\(previous.fileRange.upperBound - dataStart))")
        }
        return Parsed(tensors: tensors, metadata: raw.metadata, dataStart: dataStart)
    }

    private static func validate(_ entry: RawTensorEntry, dataStart: Int, dataSize: Int,
                                 corrupt: (String) -> EngineError) throws -> SafetensorsTensorInfo {
        let name = entry.name
        guard let bits = SafetensorsDType.bitsPerElement(entry.dtype) else {
            throw corrupt("tensor '\(name)' has unknown dtype '\(entry.dtype)'")
        }
        guard entry.dataOffsets.count == 2 else {
            throw corrupt("tensor '\(name)' has \(entry.dataOffsets.count) data_offsets, expected 2")
        }
        let begin = entry.dataOffsets[0], end = entry.dataOffsets[1]
        guard begin >= 0, begin <= end else {
            throw corrupt("tensor '\(name)' has data_offsets [\(begin), \(end)] out of order")
        }
        guard end <= dataSize else {
            throw corrupt("tensor '\(name)' has data_offsets [\(begin), \(end)] beyond the "
                + "\(dataSize)-byte data section")
        }
        var elements = 1
        for dim in entry.shape {
            guard dim >= 0 else { throw corrupt("tensor '\(name)' has negative dimension in shape \(entry.shape)") }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw corrupt("tensor '\(name)' has absurd shape \(entry.shape)") }
            elements = product
        }
        let (totalBits, overflow) = elements.multipliedReportingOverflow(by: bits)
        guard !overflow, totalBits % 8 == 0 else {
            throw corrupt("tensor '\(name)' has absurd shape \(entry.shape) for dtype \(entry.dtype)")
        }
        guard totalBits / 8 == end - begin else {
            throw corrupt("tensor '\(name)' of shape \(entry.shape) and dtype \(entry.dtype) needs "
                + "\(totalBits / 8) bytes but its data_offsets [\(begin), \(end)] hold \(end - begin)")
        }
        return SafetensorsTensorInfo(
            name: name, dtype: entry.dtype, storageType: SafetensorsDType.storageType(entry.dtype),
            shape: entry.shape, elementCount: elements, fileRange: (dataStart + begin)..<(dataStart + end))
    }

    static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func at(_ path: [CodingKey]) -> String {
            path.isEmpty ? "" : " at " + path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)'\(at(context.codingPath))"
        case .typeMismatch(let type, let context): return "expected \(type)\(at(context.codingPath))"
        case .valueNotFound(let type, let context): return "expected \(type)\(at(context.codingPath)), found null"
        case .dataCorrupted(let context): return "\(context.debugDescription)\(at(context.codingPath))"
        @unknown default: return "\(error)"
        }
    }
}

extension RawHeader {
    /// One tensor entry, field by field so that the message says which field is wrong.
    fileprivate static func entry(_ container: KeyedDecodingContainer<AnyKey>, _ key: AnyKey) throws -> RawTensorEntry {
        let name = key.stringValue
        func problem(_ what: String) -> HeaderProblem { HeaderProblem(reason: "tensor '\(name)' \(what)") }
        guard let fields = try? container.nestedContainer(keyedBy: AnyKey.self, forKey: key) else {
            throw problem("has an entry that is not a JSON object")
        }
        guard let dtype = try? fields.decode(String.self, forKey: AnyKey(stringValue: "dtype")) else {
            throw problem("has no dtype string")
        }
        guard let shape = try? fields.decode([Int].self, forKey: AnyKey(stringValue: "shape")) else {
            throw problem("has no shape list of integers")
        }
        guard let offsets = try? fields.decode([Int].self, forKey: AnyKey(stringValue: "data_offsets")) else {
            throw problem("has no data_offsets list of integers")
        }
        return RawTensorEntry(name: name, dtype: dtype, shape: shape, dataOffsets: offsets)
    }
}

/// A validation failure found while decoding, carrying the message to report.
private struct HeaderProblem: Error { let reason: String }

private struct AnyKey: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

private struct RawTensorEntry {
    let name: String
    let dtype: String
    let shape: [Int]
    let dataOffsets: [Int]
}

/// The header as typed JSON. JSONDecoder (unlike JSONSerialization) refuses `true` or `1.5` where
/// an integer belongs and numbers beyond Int, which keeps the checks above simple.
private struct RawHeader: Decodable {
    var tensors: [RawTensorEntry] = []
    var metadata: [String: String] = [:]

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        // Sorted so the first problem reported does not depend on dictionary order.
        let keys = container.allKeys.sorted { $0.stringValue.utf8.lexicographicallyPrecedes($1.stringValue.utf8) }
        for key in keys {
            if key.stringValue == "__metadata__" {
                do {
                    metadata = try container.decode([String: String].self, forKey: key)
                } catch {
                    throw HeaderProblem(reason: "__metadata__ must map strings to strings")
                }
                continue
            }
            tensors.append(try Self.entry(container, key))
        }
    }
}
