import Foundation

/// A Hugging Face model directory: `config.json` plus either one `model.safetensors` or shards
/// listed by `model.safetensors.index.json`. Every shard is opened (mapped, header validated) once,
/// up front; tensor data is read only when a tensor is loaded.
public struct HFDirectorySource: TensorSource {
    public static let singleFileName = "model.safetensors"
    public static let indexFileName = "model.safetensors.index.json"
    public static let configFileName = "config.json"

    public let directory: String
    /// Shard file name → opened file.
    private let shards: [String: SafetensorsFile]
    /// Tensor name → shard file name, from the index (or the single file's header).
    private let shardOfTensor: [String: String]
    public let tensorNames: [String]

    public init(directory: String) throws {
        self.directory = directory
        let indexPath = Self.path(directory, Self.indexFileName)
        let singlePath = Self.path(directory, Self.singleFileName)
        if FileManager.default.fileExists(atPath: indexPath) {
            let weightMap = try Self.readWeightMap(indexPath)
            var shards: [String: SafetensorsFile] = [:]
            for shardName in Set(weightMap.values).sorted() {
                let shardPath = Self.path(directory, shardName)
                guard FileManager.default.fileExists(atPath: shardPath) else {
                    throw EngineError.io(path: shardPath, reason: "shard listed in \(indexPath) is missing")
                }
                shards[shardName] = try SafetensorsFile(path: shardPath)
            }
            for (tensor, shardName) in weightMap.sorted(by: { $0.key < $1.key })
            where shards[shardName]?.info(tensor) == nil {
                throw EngineError.mismatch(
                    "\(indexPath) places tensor '\(tensor)' in \(shardName), which does not contain it")
            }
            self.shards = shards
            self.shardOfTensor = weightMap
            self.tensorNames = weightMap.keys.sorted()
        } else if FileManager.default.fileExists(atPath: singlePath) {
            let file = try SafetensorsFile(path: singlePath)
            self.shards = [Self.singleFileName: file]
            self.shardOfTensor = Dictionary(file.tensorNames.map { ($0, Self.singleFileName) },
                                            uniquingKeysWith: { first, _ in first })
            self.tensorNames = file.tensorNames.sorted()
        } else {
            throw EngineError.io(path: directory,
                reason: "no \(Self.singleFileName) or \(Self.indexFileName) in this directory")
        }
    }

    public var configPath: String { Self.path(directory, Self.configFileName) }

    /// The directory's `config.json` as a ModelConfig.
    public func readConfig() throws -> ModelConfig {
        let path = configPath
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw EngineError.io(path: path, reason: "cannot read model config (\(error.localizedDescription))")
        }
        return try HFConfig.parse(data, path: path)
    }

    /// Path of the file holding a tensor, or nil if the tensor is absent.
    public func file(of name: String) -> String? {
        shardOfTensor[name].map { Self.path(directory, $0) }
    }

    public func shape(of name: String) -> [Int]? {
        guard let shardName = shardOfTensor[name] else { return nil }
        return shards[shardName]?.shape(of: name)
    }

    public func load(_ name: String) throws -> Tensor {
        guard let shardName = shardOfTensor[name], let shard = shards[shardName] else {
            throw EngineError.mismatch("\(directory): the model has no tensor named '\(name)'")
        }
        return try shard.load(name)
    }

    private static func path(_ directory: String, _ name: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(name).path
    }

    /// `weight_map` of an index file; shard names must be plain file names inside the directory.
    private static func readWeightMap(_ indexPath: String) throws -> [String: String] {
        struct Index: Decodable { let weight_map: [String: String] }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: indexPath))
        } catch {
            throw EngineError.io(path: indexPath, reason: "cannot read (\(error.localizedDescription))")
        }
        let weightMap: [String: String]
        do {
            weightMap = try JSONDecoder().decode(Index.self, from: data).weight_map
        } catch {
            throw EngineError.corruptFile(path: indexPath,
                reason: "not a safetensors index (\(SafetensorsHeader.describe(error)))")
        }
        for shardName in Set(weightMap.values)
        where shardName.isEmpty || shardName.contains("/") || shardName == "." || shardName == ".." {
            throw EngineError.corruptFile(path: indexPath,
                reason: "shard name '\(shardName)' is not a file name in the model directory")
        }
        return weightMap
    }
}
