/// BPE merges as an open-addressing hash table: (left id, right id) → (rank, merged id).
/// This lookup is the innermost step of every merge, so it is one multiply and, almost always,
/// one probe into two flat arrays.
final class PairRankTable: @unchecked Sendable {   // immutable after init
    static let absent = UInt64.max

    private let keys: UnsafeMutablePointer<UInt64>
    private let values: UnsafeMutablePointer<UInt64>
    private let mask: Int
    let count: Int

    /// `merges[rank] = (left, right, merged)`; a pair listed twice keeps its last rank, as HF's
    /// map built from the list does.
    init(merges: [(left: Int32, right: Int32, merged: Int32)]) {
        var capacity = 16
        while capacity < merges.count * 2 { capacity *= 2 }
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: Self.absent, count: capacity)
        values = .allocate(capacity: capacity)
        values.initialize(repeating: 0, count: capacity)
        mask = capacity - 1
        var distinct = 0
        for (rank, merge) in merges.enumerated() {
            let key = Self.key(merge.left, merge.right)
            var slot = Self.hash(key) & mask
            while keys[slot] != Self.absent && keys[slot] != key { slot = (slot + 1) & mask }
            if keys[slot] == Self.absent { distinct += 1 }
            keys[slot] = key
            values[slot] = (UInt64(UInt32(rank)) << 32) | UInt64(UInt32(bitPattern: merge.merged))
        }
        count = distinct
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always) static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        (UInt64(UInt32(bitPattern: a)) << 32) | UInt64(UInt32(bitPattern: b))
    }

    @inline(__always) static func hash(_ key: UInt64) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return Int(truncatingIfNeeded: h)
    }

    /// `rank << 32 | merged`, or `absent`.
    @inline(__always) func lookup(_ a: Int32, _ b: Int32) -> UInt64 {
        let key = Self.key(a, b)
        var slot = Self.hash(key) & mask
        while true {
            let k = keys[slot]
            if k == key { return values[slot] }
            if k == Self.absent { return Self.absent }
            slot = (slot + 1) & mask
        }
    }
}
