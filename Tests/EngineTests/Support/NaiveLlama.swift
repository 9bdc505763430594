import Foundation
@testable import Engine

/// The Llama forward pass written as plainly as possible, in Double, straight from HF's
/// modeling_llama.py: the independent reference the engine is checked against.
struct NaiveLlama {
    let c: ModelConfig
    let w: MemoryTensorSource

    func t(_ name: String) -> [Double] { w.tensors[name]!.data.map(Double.init) }

    func linear(_ x: [[Double]], _ name: String, out: Int, bias: String? = nil) -> [[Double]] {
        let W = t(name), b = bias.map { t($0) }
        let inDim = x[0].count
        return x.map { row in
            (0..<out).map { o in
                var s = b?[o] ?? 0
                for i in 0..<inDim { s += row[i] * W[o * inDim + i] }
                return s
            }
        }
    }

    func rmsNorm(_ x: [[Double]], _ name: String) -> [[Double]] {
        let g = t(name)
        return x.map { row in
            let ms = row.map { $0 * $0 }.reduce(0, +) / Double(row.count)
            let r = 1 / (ms + c.rmsNormEps).squareRoot()
            return row.enumerated().map { $0.element * r * g[$0.offset] }
        }
    }

    func inverseFrequencies() -> [Double] {
        let half = c.headDim / 2
        var inv = (0..<half).map { 1 / pow(c.ropeTheta, Double(2 * $0) / Double(c.headDim)) }
        switch c.ropeScaling {
        case nil: break
        case .linear(let f): inv = inv.map { $0 / f }
        case .llama3(let f, let lf, let hf, let old):
            inv = inv.map { freq in
                let wl = 2 * Double.pi / freq
                if wl < Double(old) / hf { return freq }
                if wl > Double(old) / lf { return freq / f }
                let smooth = (Double(old) / wl - lf) / (hf - lf)
                return (1 - smooth) * freq / f + smooth * freq
            }
        }
        return inv
    }

    func rope(_ v: [Double], position: Int) -> [Double] {
        let half = v.count / 2, inv = inverseFrequencies()
        var out = v
        for i in 0..<half {
            let a = Double(position) * inv[i]
            out[i] = v[i] * cos(a) - v[i + half] * sin(a)
            out[i + half] = v[i + half] * cos(a) + v[i] * sin(a)
        }
        return out
    }

    /// Hidden states after all blocks for one sequence.
    func hidden(_ ids: [Int32], removed: Set<Int> = [], captureFFN: ((Int, [[Double]]) -> Void)? = nil) -> [[Double]] {
        let d = c.hiddenSize, hd = c.headDim, nq = c.numAttentionHeads, nkv = c.numKeyValueHeads
        let E = t(TensorNames.embedding)
        var x = ids.map { id in (0..<d).map { E[Int(id) * d + $0] } }
        let T = ids.count
        for l in 0..<c.numHiddenLayers {
            let p = { (s: String) in TensorNames.block(l, s) }
            if !removed.contains(l) {
                let h = rmsNorm(x, p(TensorNames.inputNorm))
                let q = linear(h, p(TensorNames.q + ".weight"), out: nq * hd, bias: c.attentionBias ? p(TensorNames.q + ".bias") : nil)
                let k = linear(h, p(TensorNames.k + ".weight"), out: nkv * hd, bias: c.attentionBias ? p(TensorNames.k + ".bias") : nil)
                let v = linear(h, p(TensorNames.v + ".weight"), out: nkv * hd, bias: c.attentionBias ? p(TensorNames.v + ".bias") : nil)
                var attn = [[Double]](repeating: [Double](repeating: 0, count: nq * hd), count: T)
                for head in 0..<nq {
                    let kvh = head / (nq / nkv)
                    let qs = (0..<T).map { rope(Array(q[$0][(head * hd)..<((head + 1) * hd)]), position: $0) }
                    let ks = (0..<T).map { rope(Array(k[$0][(kvh * hd)..<((kvh + 1) * hd)]), position: $0) }
                    for i in 0..<T {
                        var scores = (0...i).map { j in zip(qs[i], ks[j]).map(*).reduce(0, +) / Double(hd).squareRoot() }
                        let m = scores.max()!
                        scores = scores.map { exp($0 - m) }
                        let z = scores.reduce(0, +)
                        for j in 0...i { for e in 0..<hd { attn[i][head * hd + e] += scores[j] / z * v[j][kvh * hd + e] } }
                    }
                }
                let o = linear(attn, p(TensorNames.o + ".weight"), out: d)
                x = zip(x, o).map { zip($0, $1).map(+) }
            }
            let u = rmsNorm(x, p(TensorNames.postNorm))
            let g = linear(u, p(TensorNames.gate + ".weight"), out: c.intermediateSize)
            let up = linear(u, p(TensorNames.up + ".weight"), out: c.intermediateSize)
            let z = zip(g, up).map { zip($0, $1).map { $0 / (1 + exp(-$0)) * $1 } }
            captureFFN?(l, z)
            let down = linear(z, p(TensorNames.down + ".weight"), out: d)
            x = zip(x, down).map { zip($0, $1).map(+) }
        }
        return x
    }

    func logits(_ hidden: [[Double]]) -> [[Double]] {
        let n = rmsNorm(hidden, TensorNames.finalNorm)
        return linear(n, c.tieWordEmbeddings ? TensorNames.embedding : TensorNames.lmHead, out: c.vocabSize)
    }

    /// Mean next-token cross-entropy of one sequence.
    func meanNLL(_ ids: [Int32], removed: Set<Int> = []) -> Double {
        let lg = logits(hidden(ids, removed: removed))
        var total = 0.0
        for i in 0..<(ids.count - 1) {
            let m = lg[i].max()!
            let lse = log(lg[i].map { exp($0 - m) }.reduce(0, +)) + m
            total += lse - lg[i][Int(ids[i + 1])]
        }
        return total / Double(ids.count - 1)
    }
}
