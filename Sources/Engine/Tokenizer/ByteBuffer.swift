/// A growable buffer of trivial values on unmanaged memory, for scratch space that hot loops
/// reuse across words without Array's copy-on-write and exclusivity bookkeeping.
final class UnsafeGrowableBuffer<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var capacity: Int
    var count = 0

    init(capacity: Int = 64) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for at least `total` elements, keeping the first `count`.
    @inline(__always) func reserve(_ total: Int) {
        if total > capacity { grow(total) }
    }

    private func grow(_ total: Int) {
        var newCapacity = capacity
        while newCapacity < total { newCapacity &*= 2 }
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newBase.moveInitialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always) func append(_ value: Element) {
        if count == capacity { grow(count + 1) }
        (base + count).initialize(to: value)
        count += 1
    }

    func append(contentsOf source: UnsafePointer<Element>, count n: Int) {
        reserve(count + n)
        (base + count).initialize(from: source, count: n)
        count += n
    }

    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    func toArray() -> [Element] { Array(buffer) }
}
