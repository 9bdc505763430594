/// A GGUF (v2/v3) model file: metadata and tensor directory parsed and validated at open, tensor
/// data left in the memory map until a tensor is asked for.
///
/// Validation at open: magic, version, counts, every string/array length, value types, nesting,
/// tensor dims (1...4 dims, no overflow, first dim a whole number of blocks), duplicate names,
/// `general.alignment` (power of two), each tensor offset aligned and its bytes inside the file,
/// no two tensors overlapping. A tensor of a ggml type the engine cannot dequantise (e.g. Q5_K)
/// is accepted at open and throws `unsupported` when loaded; a type id ggml does not define at
/// all throws `unsupported` at open, since its size (and so the file's layout) is unknown.
public final class GGUFFile: Sendable {
    public let path: String
    public let version: Int
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensorInfos: [GGUFTensorInfo]
    /// `general.alignment`, or 32 when absent.
    public let alignment: Int
    /// Absolute offset of the tensor data section.
    public let dataOffset: Int
    private let tensorIndex: [String: Int]
    private let file: MappedFile

    public static let magic: UInt32 = 0x4655_4747   // "GGUF" read as a little-endian u32
    public static let defaultAlignment = 32
    /// ggml's GGML_MAX_DIMS.
    public static let maxDims = 4

    public convenience init(path: String) throws {
        try self.init(mappedFile: MappedFile(path: path))
    }

    init(mappedFile: MappedFile) throws {
        let path = mappedFile.path
        file = mappedFile
        self.path = path
        var reader = GGUFByteReader(path: path, bytes: try mappedFile.bytes(at: 0, count: mappedFile.size))

        let magic = try reader.u32("magic")
        guard magic == Self.magic else {
            throw EngineError.corruptFile(path: path, reason: "not a GGUF file (magic is 0x\(String(magic, radix: 16)), expected 'GGUF')")
        }
        let rawVersion = try reader.u32("version")
        switch rawVersion {
        case 2, 3: break
        case 1: throw EngineError.unsupported("\(path): GGUF version 1 (re-convert with a recent llama.cpp)")
        case 0x0200_0000, 0x0300_0000: throw EngineError.unsupported("\(path): big-endian GGUF")
        default: throw EngineError.corruptFile(path: path, reason: "unknown GGUF version \(rawVersion)")
        }
        version = Int(rawVersion)

        let tensorCount = try reader.count("tensor count")
        let kvCount = try reader.count("metadata entry count")
        // Each entry needs at least: key length (8) + type (4) + 1 byte of value.
        guard kvCount <= reader.remaining / 13 else {
            throw EngineError.corruptFile(path: path, reason: "absurd metadata entry count \(kvCount) for a file of \(reader.size) bytes")
        }
        // Each tensor info needs at least: name length (8) + n_dims (4) + type (4) + offset (8).
        guard tensorCount <= reader.remaining / 24 else {
            throw EngineError.corruptFile(path: path, reason: "absurd tensor count \(tensorCount) for a file of \(reader.size) bytes")
        }

        var metadata: [String: GGUFValue] = [:]
        metadata.reserveCapacity(kvCount)
        for i in 0..<kvCount {
            let key = try reader.string("key of metadata entry \(i)")
            let type = try reader.valueType("metadata '\(key)'")
            let value = try reader.value(of: type, key: key)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw EngineError.corruptFile(path: path, reason: "duplicate metadata key '\(key)'")
            }
        }
        self.metadata = metadata
        alignment = try Self.alignment(in: metadata, path: path)

        var headers: [TensorHeader] = []
        headers.reserveCapacity(tensorCount)
        for i in 0..<tensorCount {
            headers.append(try reader.tensorHeader(index: i))
        }

        let (dataOffset, overflow) = reader.offset.addingReportingOverflow((alignment - reader.offset % alignment) % alignment)
        guard !overflow else { throw EngineError.corruptFile(path: path, reason: "data section offset overflows") }
        self.dataOffset = dataOffset
        tensorInfos = try Self.place(headers, dataOffset: dataOffset, alignment: alignment,
                                     fileSize: reader.size, path: path)

        var index: [String: Int] = [:]
        index.reserveCapacity(tensorInfos.count)
        for (i, info) in tensorInfos.enumerated() {
            guard index.updateValue(i, forKey: info.name) == nil else {
                throw EngineError.corruptFile(path: path, reason: "duplicate tensor name '\(info.name)'")
            }
        }
        tensorIndex = index
    }

    public func tensorInfo(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensorInfos[$0] }
    }

    /// The raw bytes of a tensor; valid while this object lives.
    public func rawData(of info: GGUFTensorInfo) throws -> UnsafeRawBufferPointer {
        try file.bytes(at: info.offset, count: info.byteCount)
    }

    /// A tensor converted to fp32, in file order (row-major with `dims` reversed).
    public func dequantized(_ info: GGUFTensorInfo) throws -> [Float] {
        let type = try storageType(of: info)
        let bytes = try rawData(of: info)
        return [Float](unsafeUninitializedCapacity: info.elementCount) { buffer, initialized in
            if let src = bytes.baseAddress, let dst = buffer.baseAddress {
                Dequantize.run(type, from: src, count: info.elementCount, into: dst)
            }
            initialized = info.elementCount
        }
    }

    /// The engine's storage type of a tensor, or `unsupported` naming the tensor and ggml type.
    public func storageType(of info: GGUFTensorInfo) throws -> StorageType {
        guard let type = info.type else {
            throw EngineError.unsupported("\(path): tensor '\(info.name)' has ggml type \(info.ggmlType), which the engine cannot dequantise")
        }
        return type
    }

    // MARK: - Validation helpers

    private static func alignment(in metadata: [String: GGUFValue], path: String) throws -> Int {
        guard let value = metadata["general.alignment"] else { return defaultAlignment }
        guard let a = value.int, a > 0, a.nonzeroBitCount == 1, a <= 1 << 30 else {
            throw EngineError.corruptFile(path: path, reason: "general.alignment \(value) is not a power of two")
        }
        return a
    }

    /// Resolves relative offsets and checks alignment, bounds and overlap of every tensor.
    private static func place(_ headers: [TensorHeader], dataOffset: Int, alignment: Int,
                              fileSize: Int, path: String) throws -> [GGUFTensorInfo] {
        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(headers.count)
        for h in headers {
            guard h.relativeOffset % alignment == 0 else {
                throw EngineError.corruptFile(path: path, reason: "tensor '\(h.name)' offset \(h.relativeOffset) is not a multiple of the alignment \(alignment)")
            }
            let (start, o1) = dataOffset.addingReportingOverflow(h.relativeOffset)
            let (end, o2) = start.addingReportingOverflow(h.byteCount)
            guard !o1, !o2, end <= fileSize else {
                throw EngineError.corruptFile(path: path, reason: "tensor '\(h.name)' data (\(h.byteCount) bytes at offset \(h.relativeOffset) of the data section at \(dataOffset)) runs past the end of the file (\(fileSize) bytes)")
            }
            infos.append(GGUFTensorInfo(name: h.name, dims: h.dims, ggmlType: h.type, offset: start,
                                        byteCount: h.byteCount, elementCount: h.elementCount))
        }
        let byStart = infos.filter { $0.byteCount > 0 }.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byStart, byStart.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw EngineError.corruptFile(path: path, reason: "tensors '\(a.name)' and '\(b.name)' overlap")
        }
        return infos
    }
}

/// A tensor info as read, before its offset is resolved against the data section.
struct TensorHeader {
    let name: String
    let dims: [Int]
    let type: GGMLType
    let relativeOffset: Int
    let elementCount: Int
    let byteCount: Int
}

extension GGUFByteReader {
    mutating func tensorHeader(index: Int) throws -> TensorHeader {
        let name = try string("name of tensor \(index)")
        let nDims = try u32("dimension count of tensor '\(name)'")
        guard nDims >= 1, nDims <= GGUFFile.maxDims else {
            throw corrupt("tensor '\(name)' has \(nDims) dimensions (1...\(GGUFFile.maxDims) allowed)")
        }
        var dims: [Int] = []
        var elements = 1
        for d in 0..<Int(nDims) {
            let raw = try scalar(UInt64.self, "dimension \(d) of tensor '\(name)'")
            guard let dim = Int(exactly: raw) else { throw corrupt("tensor '\(name)' dimension \(d) is absurd (\(raw))") }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw corrupt("tensor '\(name)' dims \(dims + [dim]) overflow") }
            elements = product
            dims.append(dim)
        }
        let typeId = try u32("type of tensor '\(name)'")
        guard let type = GGMLType.known(typeId) else {
            throw EngineError.unsupported("\(path): tensor '\(name)' has unknown ggml type id \(typeId)")
        }
        guard dims[0] % type.blockSize == 0 else {
            throw corrupt("tensor '\(name)' row length \(dims[0]) is not a multiple of the \(type.name) block size \(type.blockSize)")
        }
        guard let bytes = type.byteCount(elements: elements) else {
            throw corrupt("tensor '\(name)' dims \(dims) give an absurd byte size")
        }
        let offset = try count("data offset of tensor '\(name)'")
        return TensorHeader(name: name, dims: dims, type: type, relativeOffset: offset,
                            elementCount: elements, byteCount: bytes)
    }
}
