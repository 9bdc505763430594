/// Special tokens a post-processor puts around a single sequence (`addSpecialTokens: true`).
struct CompiledPostProcessor: Sendable {
    let prefix: [Int32]
    let suffix: [Int32]

    init(_ spec: PostProcessorSpec?, source: String) throws {
        var prefix: [Int32] = [], suffix: [Int32] = []
        var sawTemplate = false
        func add(_ spec: PostProcessorSpec) throws {
            switch spec {
            case .byteLevel:
                break
            case .sequence(let inner):
                for s in inner { try add(s) }
            case .template(let single, let specialTokens):
                guard !sawTemplate else {
                    throw EngineError.unsupported("\(source): more than one template post-processor")
                }
                sawTemplate = true
                var beforeSequence = true
                var sequenceCount = 0
                for piece in single {
                    switch piece {
                    case .sequence:
                        beforeSequence = false
                        sequenceCount += 1
                    case .special(let name):
                        guard let ids = specialTokens[name] else {
                            throw EngineError.corruptFile(path: source,
                                reason: "post-processor template names special token \(name) but does not define it")
                        }
                        if beforeSequence { prefix += ids } else { suffix += ids }
                    }
                }
                guard sequenceCount == 1 else {
                    throw EngineError.unsupported("\(source): post-processor template with \(sequenceCount) copies of the sequence")
                }
            }
        }
        if let spec { try add(spec) }
        self.prefix = prefix
        self.suffix = suffix
    }

    func apply(_ ids: [Int32]) -> [Int32] {
        prefix.isEmpty && suffix.isEmpty ? ids : prefix + ids + suffix
    }
}
