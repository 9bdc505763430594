import Engine
import Foundation

/// Frames of a message: frame 0 = magic + type + header fields; then one raw frame per
/// tensor (fp32) or per norm vector (fp64), little-endian.
public enum MessageCodec {
    enum Kind: UInt8 {
        case hello = 1, welcome, reject, heartbeat, bye, loadShard, shardReady, tensors, setWidth, widthSet
        case forward, forwardResult, gatherWeights, failure, workerStats
    }

    public static func encode(_ message: Message) -> [Data] {
        var w = WireWriter()
        w.raw(WireVersion.magic)
        var frames: [Data] = []
        func kind(_ k: Kind) { w.u8(k.rawValue) }
        switch message {
        case .hello(let h):
            kind(.hello)
            w.u16(h.wireMajor); w.u16(h.wireMinor)
            w.string(h.sessionID); w.string(h.name); w.string(h.hostname); w.int(h.pid); w.int(h.threads)
            w.optionalString(h.modelPath)
        case .welcome(let x): kind(.welcome); w.int(x.workerIndex); w.int(x.heartbeatMs)
        case .reject(let reason): kind(.reject); w.string(reason)
        case .heartbeat: kind(.heartbeat)
        case .bye(let reason): kind(.bye); w.string(reason)
        case .loadShard(let x):
            kind(.loadShard)
            w.int(x.shardID); w.int(x.blocks.lowerBound); w.int(x.blocks.upperBound); w.bool(x.embedding); w.bool(x.head)
            encodeConfig(x.config, &w); w.bool(x.fromLocalFile); w.int(x.streamedTensorCount)
        case .shardReady(let id, let seconds): kind(.shardReady); w.int(id); w.f64(seconds)
        case .tensors(let bundle):
            kind(.tensors)
            w.u32(UInt32(bundle.tensors.count))
            for t in bundle.tensors { w.string(t.name); w.ints(t.tensor.shape); frames.append(RawFrame.floats(t.tensor.data)) }
        case .setWidth(let x):
            kind(.setWidth)
            w.u32(UInt32(x.keptNeurons.count)); x.keptNeurons.forEach { w.ints($0) }; w.optionalString(x.roundTo)
        case .widthSet: kind(.widthSet)
        case .forward(let t):
            kind(.forward)
            w.u64(t.taskID); w.int(t.blocks.lowerBound); w.int(t.blocks.upperBound); w.int(t.sequenceLength)
            w.ints(t.removedAttention); w.bool(t.cacheInputs); w.bool(t.collectNorms); w.bool(t.returnHidden)
            w.bool(t.lossTargets != nil); if let targets = t.lossTargets { w.int32s(targets) }
            switch t.input {
            case .ids(let ids): w.u8(0); w.int32s(ids)
            case .hidden(let h): w.u8(1); w.ints(h.shape); frames.append(RawFrame.floats(h.data))
            case .cached: w.u8(2)
            }
        case .forwardResult(let r):
            kind(.forwardResult)
            w.u64(r.taskID); w.f64(r.seconds)
            w.bool(r.hidden != nil); if let h = r.hidden { w.ints(h.shape); frames.append(RawFrame.floats(h.data)) }
            w.u32(UInt32(r.norms.count))
            for block in r.norms {
                w.u32(UInt32(block.count))
                for sample in block { w.int(sample.count); frames.append(RawFrame.doubles(sample)) }
            }
            w.u32(UInt32(r.losses.count)); r.losses.forEach { w.f64($0.sum); w.int($0.count) }
        case .gatherWeights(let removed): kind(.gatherWeights); w.ints(removed)
        case .failure(let id, let message):
            kind(.failure); w.bool(id != nil); w.u64(id ?? 0); w.string(message)
        case .workerStats(let stats):
            kind(.workerStats); w.int(stats.peakRSSBytes); w.int(stats.tasks); w.f64(stats.computeSeconds)
        }
        return [Data(w.bytes)] + frames
    }

    /// Decodes frames from a peer. Anything malformed or foreign is a WireError saying what.
    public static func decode(_ frames: [Data]) throws -> Message {
        guard let head = frames.first else { throw WireError("empty message") }
        var r = WireReader(head)
        guard head.count >= 5, try r.raw(4, "magic") == WireVersion.magic else {
            throw WireError("not a twossp message (bad magic: \(head.prefix(8).map { String(format: "%02x", $0) }.joined()))")
        }
        let rawKind = try r.u8("message type")
        guard let kind = Kind(rawValue: rawKind) else { throw WireError("unknown message type \(rawKind)") }
        var bulk = frames.dropFirst().makeIterator()
        func nextFrame(_ field: String) throws -> Data {
            guard let f = bulk.next() else { throw WireError("missing data frame for \(field)") }
            return f
        }
        func tensor(_ field: String, shape: [Int]) throws -> Tensor {
            guard shape.allSatisfy({ $0 >= 0 }), shape.count <= 4 else { throw WireError("\(field): bad shape \(shape)") }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d); return (p, acc.1 || o)
            }
            guard !overflow else { throw WireError("\(field): shape \(shape) overflows") }
            return Tensor(shape: shape, data: try RawFrame.floats(nextFrame(field), count: count, field))
        }
        let message: Message
        switch kind {
        case .hello:
            let major = try r.u16("wire major"), minor = try r.u16("wire minor")
            // A newer major may lay out the rest differently: report the version, decode no further.
            guard major == WireVersion.major else {
                var h = Hello(sessionID: "", name: "", hostname: "", pid: 0, threads: 0, modelPath: nil)
                h.wireMajor = major; h.wireMinor = minor
                return .hello(h)
            }
            var h = Hello(sessionID: try r.string("session id"), name: try r.string("name"), hostname: try r.string("hostname"),
                          pid: try r.int("pid"), threads: try r.int("threads"), modelPath: try r.optionalString("model path"))
            h.wireMajor = major; h.wireMinor = minor
            message = .hello(h)
        case .welcome: message = .welcome(Welcome(workerIndex: try r.int("worker index"), heartbeatMs: try r.int("heartbeat")))
        case .reject: message = .reject(try r.string("reason"))
        case .heartbeat: message = .heartbeat
        case .bye: message = .bye(try r.string("reason"))
        case .loadShard:
            let id = try r.int("shard id"), lo = try r.int("first block"), hi = try r.int("end block")
            guard lo >= 0, hi >= lo else { throw WireError("bad block range \(lo)..<\(hi)") }
            message = .loadShard(LoadShard(shardID: id, blocks: lo..<hi, embedding: try r.bool("embedding"), head: try r.bool("head"),
                                           config: try decodeConfig(&r), fromLocalFile: try r.bool("local file"),
                                           streamedTensorCount: try r.int("tensor count")))
        case .shardReady: message = .shardReady(shardID: try r.int("shard id"), seconds: try r.f64("seconds"))
        case .tensors:
            let n = try r.count("tensors", elementSize: 8)
            var list: [(name: String, tensor: Tensor)] = []
            for _ in 0..<n {
                let name = try r.string("tensor name")
                list.append((name, try tensor(name, shape: try r.ints("shape"))))
            }
            message = .tensors(TensorBundle(list))
        case .setWidth:
            let n = try r.count("blocks", elementSize: 4)
            message = .setWidth(SetWidth(keptNeurons: try (0..<n).map { _ in try r.ints("kept neurons") },
                                         roundTo: try r.optionalString("dtype")))
        case .widthSet: message = .widthSet
        case .forward:
            let id = try r.u64("task id"), lo = try r.int("first block"), hi = try r.int("end block")
            guard lo >= 0, hi >= lo else { throw WireError("bad block range \(lo)..<\(hi)") }
            let seq = try r.int("sequence length"), removed = try r.ints("removed attention")
            let cache = try r.bool("cache inputs"), norms = try r.bool("collect norms"), returnHidden = try r.bool("return hidden")
            let targets = try r.bool("has loss targets") ? try r.int32s("loss targets") : nil
            let input: ForwardTask.Input
            switch try r.u8("input kind") {
            case 0: input = .ids(try r.int32s("ids"))
            case 1: input = .hidden(try tensor("hidden", shape: try r.ints("hidden shape")))
            case 2: input = .cached
            case let other: throw WireError("unknown input kind \(other)")
            }
            message = .forward(ForwardTask(taskID: id, blocks: lo..<hi, sequenceLength: seq, removedAttention: removed, input: input,
                                           cacheInputs: cache, collectNorms: norms, lossTargets: targets, returnHidden: returnHidden))
        case .forwardResult:
            let id = try r.u64("task id"), seconds = try r.f64("seconds")
            let hidden = try r.bool("has hidden") ? try tensor("hidden", shape: try r.ints("hidden shape")) : nil
            let blocks = try r.count("norm blocks", elementSize: 4)
            var norms: [[[Double]]] = []
            for _ in 0..<blocks {
                let samples = try r.count("norm samples", elementSize: 8)
                norms.append(try (0..<samples).map { _ in
                    let width = try r.int("norm width")
                    guard width >= 0, width <= WireReader.maxLength else { throw WireError("bad norm width \(width)") }
                    return try RawFrame.doubles(nextFrame("norms"), count: width, "norms")
                })
            }
            let n = try r.count("losses", elementSize: 16)
            let losses = try (0..<n).map { _ in SequenceLoss(sum: try r.f64("loss"), count: try r.int("loss count")) }
            message = .forwardResult(ForwardResult(taskID: id, hidden: hidden, norms: norms, losses: losses, seconds: seconds))
        case .gatherWeights: message = .gatherWeights(removedAttention: try r.ints("removed attention"))
        case .failure:
            let has = try r.bool("has task id"), id = try r.u64("task id")
            message = .failure(taskID: has ? id : nil, message: try r.string("message"))
        case .workerStats:
            message = .workerStats(WorkerStats(peakRSSBytes: try r.int("peak rss"), tasks: try r.int("tasks"),
                                               computeSeconds: try r.f64("compute seconds")))
        }
        guard r.atEnd else { throw WireError("\(kind) message has \(head.count - r.offset) unexpected trailing bytes") }
        guard bulk.next() == nil else { throw WireError("\(kind) message has unexpected extra frames") }
        return message
    }

    static func encodeConfig(_ c: ModelConfig, _ w: inout WireWriter) {
        w.string(c.modelType)
        for v in [c.hiddenSize, c.intermediateSize, c.numHiddenLayers, c.numAttentionHeads, c.numKeyValueHeads,
                  c.headDim, c.vocabSize, c.maxPositionEmbeddings] { w.int(v) }
        w.f64(c.rmsNormEps); w.f64(c.ropeTheta); w.bool(c.tieWordEmbeddings); w.bool(c.attentionBias)
        switch c.ropeScaling {
        case nil: w.u8(0)
        case .linear(let f): w.u8(1); w.f64(f)
        case .llama3(let f, let lf, let hf, let old): w.u8(2); w.f64(f); w.f64(lf); w.f64(hf); w.int(old)
        }
        w.ints(c.removedAttentionBlocks)
    }

    static func decodeConfig(_ r: inout WireReader) throws -> ModelConfig {
        let type = try r.string("model type")
        let v = try (0..<8).map { _ in try r.int("config field") }
        guard v.allSatisfy({ $0 >= 0 && $0 < 1 << 32 }), v[3] > 0, v[4] > 0, v[3] % v[4] == 0 else {
            throw WireError("config has impossible dimensions \(v)")
        }
        let eps = try r.f64("rms eps"), theta = try r.f64("rope theta")
        let tied = try r.bool("tied"), bias = try r.bool("attention bias")
        let scaling: RopeScaling?
        switch try r.u8("rope scaling") {
        case 0: scaling = nil
        case 1: scaling = .linear(factor: try r.f64("factor"))
        case 2: scaling = .llama3(factor: try r.f64("factor"), lowFreqFactor: try r.f64("low"), highFreqFactor: try r.f64("high"),
                                  originalMaxPositions: try r.int("original max"))
        case let other: throw WireError("unknown rope scaling \(other)")
        }
        return ModelConfig(modelType: type, hiddenSize: v[0], intermediateSize: v[1], numHiddenLayers: v[2],
                           numAttentionHeads: v[3], numKeyValueHeads: v[4], headDim: v[5], vocabSize: v[6],
                           rmsNormEps: eps, ropeTheta: theta, ropeScaling: scaling, maxPositionEmbeddings: v[7],
                           tieWordEmbeddings: tied, attentionBias: bias, removedAttentionBlocks: try r.ints("removed blocks"))
    }
}
