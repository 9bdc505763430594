/// A hash map from byte strings to short lists of token ids, stored in flat arenas: the BPE
/// word cache (word → its ids) and whole-word vocabulary lookups (`ignore_merges`).
final class ByteSequenceTable {
    private struct Slot {
        var hash: UInt64          // 0 marks an empty slot
        var keyOffset: Int32
        var keyLength: Int32
        var valueOffset: Int32
        var valueLength: Int32
    }

    private var slots: UnsafeMutablePointer<Slot>
    private var mask: Int
    private let keyBytes = UnsafeGrowableBuffer<UInt8>(capacity: 1 << 12)
    private let valueIds = UnsafeGrowableBuffer<Int32>(capacity: 1 << 12)
    private(set) var count = 0
    /// Insertions stop here, bounding memory on huge, diverse inputs.
    let maxEntries: Int

    init(initialCapacity: Int = 1 << 12, maxEntries: Int = 1 << 21) {
        var capacity = 16
        while capacity < initialCapacity { capacity *= 2 }
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(hash: 0, keyOffset: 0, keyLength: 0, valueOffset: 0, valueLength: 0),
                         count: capacity)
        mask = capacity - 1
        self.maxEntries = maxEntries
    }

    deinit { slots.deallocate() }

    @inline(__always) static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ (UInt64(n) &* 0x9E37_79B9_7F4A_7C15)
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n { w |= UInt64(p[i]) << shift; shift += 8; i += 1 }
            h = (h ^ w) &* 0xC4CE_B9FE_1A85_EC53
            h ^= h >> 29
        }
        h = (h ^ (h >> 31)) &* 0x9E37_79B9_7F4A_7C15
        return h | 1
    }

    /// The ids stored for `p[0..<n]` (hash from `hash(_:_:)`), or nil.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int, hash: UInt64) -> UnsafeBufferPointer<Int32>? {
        var slot = Int(truncatingIfNeeded: hash >> 7) & mask
        while true {
            let s = slots[slot]
            if s.hash == 0 { return nil }
            if s.hash == hash && Int(s.keyLength) == n
                && memoryEqual(keyBytes.base + Int(s.keyOffset), p, n) {
                return UnsafeBufferPointer(start: valueIds.base + Int(s.valueOffset), count: Int(s.valueLength))
            }
            slot = (slot + 1) & mask
        }
    }

    /// Stores `ids` for a key known to be absent.
    func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash: UInt64, ids: UnsafePointer<Int32>, count idCount: Int) {
        guard count < maxEntries, keyBytes.count + n < Int(Int32.max), valueIds.count + idCount < Int(Int32.max)
        else { return }
        if (count + 1) * 2 > mask + 1 { grow() }
        var slot = Int(truncatingIfNeeded: hash >> 7) & mask
        while slots[slot].hash != 0 { slot = (slot + 1) & mask }
        slots[slot] = Slot(hash: hash, keyOffset: Int32(keyBytes.count), keyLength: Int32(n),
                           valueOffset: Int32(valueIds.count), valueLength: Int32(idCount))
        keyBytes.append(contentsOf: p, count: n)
        valueIds.append(contentsOf: ids, count: idCount)
        count += 1
    }

    private func grow() {
        let oldSlots = slots
        let oldCapacity = mask + 1
        let capacity = oldCapacity * 2
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(hash: 0, keyOffset: 0, keyLength: 0, valueOffset: 0, valueLength: 0),
                         count: capacity)
        mask = capacity - 1
        for i in 0..<oldCapacity where oldSlots[i].hash != 0 {
            var slot = Int(truncatingIfNeeded: oldSlots[i].hash >> 7) & mask
            while slots[slot].hash != 0 { slot = (slot + 1) & mask }
            slots[slot] = oldSlots[i]
        }
        oldSlots.deallocate()
    }
}

@inline(__always)
func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while i + 8 <= n {
        if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
