/// A dense row-major fp32 tensor. Weights are converted to this form once, at load.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "Tensor data count does not match shape \(shape)")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { data.count }
    /// Rows of a 2-D tensor (first dimension).
    public var rows: Int { shape.count == 1 ? 1 : shape[0] }
    /// Columns of a 2-D tensor (last dimension).
    public var cols: Int { shape.last ?? 0 }
}
