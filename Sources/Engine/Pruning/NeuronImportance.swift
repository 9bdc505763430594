/// 2SSP stage 1 scores: for block b and neuron j, the L2 norm over a sample's T tokens of the
/// down_proj input z_j, averaged over the C calibration samples (fp64 throughout).
/// Samples are added in sample order, each whole, so the sums are bit-identical however the
/// forward passes were batched or sharded.
public struct NeuronImportance: Sendable, Equatable {
    public let blocks: Range<Int>
    public let width: Int
    /// Per block: the sum over samples of the per-sample norms.
    public private(set) var normSums: [[Double]]
    public private(set) var samples: Int = 0

    public init(blocks: Range<Int>, width: Int) {
        self.blocks = blocks
        self.width = width
        normSums = Array(repeating: [Double](repeating: 0, count: width), count: blocks.count)
    }

    /// Per-neuron L2 norms over the rows of one sample's z ([rows, width] row-major).
    public static func sampleNorms(_ z: UnsafeBufferPointer<Float>, rows: Int, width: Int) -> [Double] {
        var squares = [Double](repeating: 0, count: width)
        squares.withUnsafeMutableBufferPointer { sq in
            for r in 0..<rows {
                let row = z.baseAddress! + r * width
                for j in 0..<width { let v = Double(row[j]); sq[j] += v * v }
            }
        }
        return squares.map { $0.squareRoot() }
    }

    /// Adds one sample's norms for `block`. Call `finishSample()` after all blocks of the sample.
    public mutating func add(block: Int, norms: [Double]) {
        precondition(blocks.contains(block) && norms.count == width)
        let b = block - blocks.lowerBound
        for j in 0..<width { normSums[b][j] += norms[j] }
    }

    public mutating func finishSample() { samples += 1 }

    /// Mean norm per neuron of `block`.
    public func scores(block: Int) -> [Double] {
        normSums[block - blocks.lowerBound].map { $0 / Double(max(1, samples)) }
    }

    /// The `keep` highest-scoring neurons, in ascending index order. Equal scores keep the
    /// lower index (a deterministic rule; the reference's torch.topk leaves ties unspecified).
    public static func keptNeurons(scores: [Double], keep: Int) -> [Int] {
        precondition(keep >= 0 && keep <= scores.count)
        let ranked = scores.indices.sorted { a, b in
            scores[a] != scores[b] ? scores[a] > scores[b] : a < b
        }
        return ranked.prefix(keep).sorted()
    }
}

extension FFNWeights {
    /// The FFN restricted to `neurons` (ascending): those rows of gate and up, those columns of down.
    public func keeping(neurons: [Int], hidden d: Int) -> FFNWeights {
        let k = neurons.count
        var gateUp = [Float](repeating: 0, count: 2 * k * d)
        var down = [Float](repeating: 0, count: d * k)
        for (newIndex, j) in neurons.enumerated() {
            for i in 0..<d {
                gateUp[newIndex * d + i] = self.gateUp[j * d + i]
                gateUp[(k + newIndex) * d + i] = self.gateUp[(width + j) * d + i]
            }
            for r in 0..<d { down[r * k + newIndex] = self.down[r * width + j] }
        }
        return FFNWeights(width: k, gateUp: gateUp, down: down)
    }
}
