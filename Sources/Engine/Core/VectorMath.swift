/// Vectorised element-wise kernels for the forward pass. `exp` is a Cephes-style SIMD
/// approximation (about 1 ulp on the range softmax and SiLU use), which keeps softmax over
/// 2048-long rows from dominating the attention time.
public enum VectorMath {
    public typealias V = SIMD16<Float>

    @inline(__always)
    public static func exp(_ x: V) -> V {
        let log2e: Float = 1.44269504088896341
        let ln2hi: Float = 0.693359375, ln2lo: Float = -2.12194440e-4
        let shifter: Float = 12582912.0   // 1.5 * 2^23: adding it rounds to an integer in the low bits
        let lo: Float = -87.33654, hi: Float = 88.37626
        let xc = min(max(x, V(repeating: lo)), V(repeating: hi))
        let t = xc * log2e + shifter
        let n = t - shifter
        let r = xc - n * ln2hi - n * ln2lo
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * (r * r) + r + 1
        // Multiply by 2^n by adding n to the exponent field.
        let nBits = unsafeBitCast(t, to: SIMD16<UInt32>.self) &<< 23
        let result = unsafeBitCast(unsafeBitCast(p, to: SIMD16<UInt32>.self) &+ nBits, to: V.self)
        return result.replacing(with: 0, where: x .< lo)
    }

    /// Lane-wise max/min. Written as lane loops because the standard library's generic
    /// `pointwiseMax`/`clamped` are not vectorised (measured 20x slower), while these are.
    @inline(__always)
    public static func max(_ a: V, _ b: V) -> V {
        var r = a
        for i in 0..<V.scalarCount { r[i] = a[i] > b[i] ? a[i] : b[i] }
        return r
    }
    @inline(__always)
    public static func min(_ a: V, _ b: V) -> V {
        var r = a
        for i in 0..<V.scalarCount { r[i] = a[i] < b[i] ? a[i] : b[i] }
        return r
    }

    @inline(__always)
    public static func exp(_ x: Float) -> Float { exp(V(repeating: x))[0] }

    /// In place: row[i] ← exp(row[i] - max(row)) over the first `count` entries; returns their
    /// sum. Softmax is this divided by the sum (left to the caller, who may apply it later).
    @inline(__always)
    public static func exponentiateShifted(_ row: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var i = 0
        var vmax = V(repeating: -.infinity)
        while i + 16 <= count { vmax = max(vmax, load(row + i)); i += 16 }
        var m = vmax.max()
        while i < count { m = Swift.max(m, row[i]); i += 1 }
        let vm = V(repeating: m)
        var vsum = V(repeating: 0)
        i = 0
        while i + 16 <= count {
            let e = exp(load(row + i) - vm)
            store(e, row + i); vsum += e; i += 16
        }
        var sum = vsum.sum()
        while i < count { let e = exp(row[i] - m); row[i] = e; sum += e; i += 1 }
        return sum
    }

    /// In place: row ← softmax(row) over the first `count` entries.
    @inline(__always)
    public static func softmaxInPlace(_ row: UnsafeMutablePointer<Float>, count: Int) {
        scale(row, count: count, by: 1 / exponentiateShifted(row, count: count))
    }

    @inline(__always)
    public static func scale(_ p: UnsafeMutablePointer<Float>, count: Int, by s: Float) {
        var i = 0
        while i + 16 <= count { store(load(p + i) * s, p + i); i += 16 }
        while i < count { p[i] *= s; i += 1 }
    }

    /// z[j] = silu(gate[j]) * up[j]  (silu(x) = x / (1 + e^-x)), the FFN's down_proj input.
    @inline(__always)
    public static func swiglu(gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                              out: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let g = load(gate + i)
            store(g / (1 + exp(-g)) * load(up + i), out + i); i += 16
        }
        while i < count { let g = gate[i]; out[i] = g / (1 + exp(-g)) * up[i]; i += 1 }
    }

    /// out = x * rsqrt(mean(x²) + eps) * weight, as HF's LlamaRMSNorm computes it in fp32.
    @inline(__always)
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               out: UnsafeMutablePointer<Float>, count: Int, eps: Float) {
        var acc = V(repeating: 0)
        var i = 0
        while i + 16 <= count { let v = load(x + i); acc += v * v; i += 16 }
        var ss = acc.sum()
        while i < count { ss += x[i] * x[i]; i += 1 }
        let r = 1 / (ss / Float(count) + eps).squareRoot()
        i = 0
        while i + 16 <= count { store(load(x + i) * r * load(weight + i), out + i); i += 16 }
        while i < count { out[i] = x[i] * r * weight[i]; i += 1 }
    }

    @inline(__always)
    public static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }
    @inline(__always)
    public static func load(_ p: UnsafeMutablePointer<Float>) -> V { load(UnsafePointer(p)) }
    @inline(__always)
    public static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }
}
