/// A memory-mapped `.safetensors` file. Opening it parses and validates the header only; a tensor's
/// pages are read (faulted in) when that tensor is loaded, so a worker that loads a few blocks of a
/// large checkpoint touches only those bytes.
public final class SafetensorsFile: TensorSource, Sendable {
    public let path: String
    /// `__metadata__` of the header (string to string), empty if absent.
    public let metadata: [String: String]
    /// Every tensor of the file, in data-offset order.
    public let tensorInfos: [SafetensorsTensorInfo]
    private let infoByName: [String: SafetensorsTensorInfo]
    private let file: MappedFile

    public init(path: String) throws {
        let file = try MappedFile(path: path)
        let header = try SafetensorsHeader.parse(file)
        self.file = file
        self.path = path
        self.metadata = header.metadata
        self.tensorInfos = header.tensors
        self.infoByName = Dictionary(header.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var tensorNames: [String] { tensorInfos.map(\.name) }

    public func info(_ name: String) -> SafetensorsTensorInfo? { infoByName[name] }

    public func shape(of name: String) -> [Int]? { infoByName[name]?.shape }

    public func load(_ name: String) throws -> Tensor {
        guard let info = infoByName[name] else {
            throw EngineError.mismatch("\(path): no tensor named '\(name)'")
        }
        guard let type = info.storageType else {
            throw EngineError.unsupported(
                "tensor '\(name)' in \(path) has dtype \(info.dtype); only F32, F16 and BF16 can be loaded")
        }
        let bytes = try file.bytes(at: info.fileRange.lowerBound, count: info.fileRange.count)
        let count = info.elementCount
        let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0, let source = bytes.baseAddress, let destination = buffer.baseAddress {
                SafetensorsConversion.toFloat(type, from: source, into: destination, count: count)
            }
            initialized = count
        }
        return Tensor(shape: info.shape, data: data)
    }
}
