import Foundation

/// Rotary position embedding tables in HF's "rotate half" convention: for a head vector
/// x of size D, pairs are (x[i], x[i + D/2]) rotated by angle pos * invFreq[i].
/// Frequencies and angles are computed in fp32 exactly as HF's LlamaRotaryEmbedding does,
/// so that positions near 2048 round the same way.
public struct RoPE: Sendable {
    public let headDim: Int
    public let inverseFrequencies: [Float]
    /// cos/sin tables [positions, D/2].
    private var cosTable: [Float] = []
    private var sinTable: [Float] = []
    public private(set) var positions = 0

    public init(config: ModelConfig) {
        headDim = config.headDim
        inverseFrequencies = RoPE.inverseFrequencies(headDim: config.headDim, theta: config.ropeTheta,
                                                     scaling: config.ropeScaling)
    }

    static func inverseFrequencies(headDim: Int, theta: Double, scaling: RopeScaling?) -> [Float] {
        let half = headDim / 2
        let base = Float(theta)
        var inv = (0..<half).map { i in Float(1) / powf(base, Float(2 * i) / Float(headDim)) }
        switch scaling {
        case nil: break
        case .linear(let factor):
            inv = inv.map { $0 / Float(factor) }
        case .llama3(let factor, let lowFreqFactor, let highFreqFactor, let originalMax):
            // transformers' _compute_llama3_parameters, element-wise.
            let f = Float(factor), lf = Float(lowFreqFactor), hf = Float(highFreqFactor)
            let oldContext = Float(originalMax)
            let lowFreqWavelen = oldContext / lf, highFreqWavelen = oldContext / hf
            inv = inv.map { freq in
                let wavelen = 2 * Float.pi / freq
                let scaled = wavelen > lowFreqWavelen ? freq / f : freq
                let isMedium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen)
                guard isMedium else { return scaled }
                let smooth = (oldContext / wavelen - lf) / (hf - lf)
                return (1 - smooth) * scaled / f + smooth * scaled
            }
        }
        return inv
    }

    /// Makes the tables cover positions 0..<count.
    public mutating func ensure(positions count: Int) {
        guard count > positions else { return }
        let half = headDim / 2
        var c = [Float](repeating: 0, count: count * half)
        var s = [Float](repeating: 0, count: count * half)
        for p in 0..<count {
            for i in 0..<half {
                let angle = Float(p) * inverseFrequencies[i]
                c[p * half + i] = Float(Foundation.cos(Double(angle)))
                s[p * half + i] = Float(Foundation.sin(Double(angle)))
            }
        }
        cosTable = c; sinTable = s; positions = count
    }

    /// Rotates `heads` consecutive head vectors (stride headDim) at `position`, in place.
    @inline(__always)
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, position: Int) {
        let half = headDim / 2
        cosTable.withUnsafeBufferPointer { cb in
            sinTable.withUnsafeBufferPointer { sb in
                let c = cb.baseAddress! + position * half, s = sb.baseAddress! + position * half
                for h in 0..<heads {
                    let v = x + h * headDim
                    for i in 0..<half {
                        let a = v[i], b = v[i + half]
                        v[i] = a * c[i] - b * s[i]
                        v[i + half] = b * c[i] + a * s[i]
                    }
                }
            }
        }
    }
}
