import Foundation

/// An installed R package's lazy-load database (`Rdata.rdx` index + `Rdata.rdb` records), read
/// without R. The index is a gzip'd serialised list whose `variables` element maps each object
/// name to c(offset, length) in the .rdb; each record is a 4-byte big-endian uncompressed size
/// followed by a zlib stream holding the object's serialisation.
struct RLazyLoadDatabase {
    struct Variable {
        let name: String
        let offset: Int
        let length: Int
    }

    /// Variables in the order the index lists them.
    let variables: [Variable]
    private let records: MappedFile

    init(indexPath: String, recordsPath: String) throws {
        let index = try MappedFile(path: indexPath)
        let raw = try index.bytes(at: 0, count: index.size)
        let serialised: [UInt8]
        if raw.count >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
            serialised = try Inflater.inflateAll(raw, wrapping: .gzip, source: indexPath, limit: 1 << 26)
        } else {
            serialised = Array(raw)
        }
        let object = try serialised.withUnsafeBytes { try RSerializationReader.read($0, source: indexPath) }
        if let compression = object.element(named: "compressed"),
           case .integers(let kind) = compression.value, kind.first.map({ $0 != 1 }) ?? false {
            throw EngineError.unsupported("\(indexPath): lazy-load records compressed with method \(kind[0]) (only zlib)")
        }
        guard let table = object.element(named: "variables"), case .list(let entries) = table.value,
              let names = table.names, names.count == entries.count else {
            throw EngineError.corruptFile(path: indexPath, reason: "no named 'variables' list in the lazy-load index")
        }
        records = try MappedFile(path: recordsPath)
        var variables = [Variable]()
        for (name, entry) in zip(names, entries) {
            guard let name, case .integers(let place) = entry.value, place.count == 2,
                  place[0] >= 0, place[1] >= 4, Int(place[0]) + Int(place[1]) <= records.size else {
                throw EngineError.corruptFile(path: indexPath,
                    reason: "bad index entry \(name ?? "NA") for \(recordsPath) (\(records.size) bytes)")
            }
            variables.append(Variable(name: name, offset: Int(place[0]), length: Int(place[1])))
        }
        self.variables = variables
    }

    /// Decompresses and parses one object.
    func object(named name: String) throws -> RObject {
        guard let variable = variables.first(where: { $0.name == name }) else {
            throw EngineError.corruptFile(path: records.path, reason: "no object '\(name)' in the lazy-load database")
        }
        let record = try records.bytes(at: variable.offset, count: variable.length)
        let size = Int(record.bigEndianUInt32(at: 0))
        let source = "\(records.path) record '\(name)'"
        let body = UnsafeRawBufferPointer(rebasing: record[4...])
        let serialised = try Inflater.inflateAll(body, wrapping: .zlib, source: source, expectedSize: size)
        return try serialised.withUnsafeBytes { try RSerializationReader.read($0, source: source) }
    }
}
