/// A compiled BPE model: vocabulary lookups for a word's first symbols, the merge table, and
/// HF's merge loop. Immutable once built; shared by all encode calls.
final class BPEModel: @unchecked Sendable {
    /// Model vocabulary by id (nil for ids the vocabulary skips).
    let tokenOfId: [String?]
    let pairs: PairRankTable
    /// Words arrive as raw bytes, each byte spelled by one byte-alphabet character.
    let byteLevel: Bool
    let unkId: Int32          // -1: no unk token, unknown characters are dropped (as HF does)
    let fuseUnk: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool

    /// Byte-level: id of the character spelling each byte, or -1.
    private let idOfByte: [Int32]
    /// Byte fallback ids: `<0xNN>` for each byte, or -1.
    private let byteTokenIds: [Int32]
    /// Character-level: id of each one-character BMP token, or -1; other scalars in a dictionary.
    private let idOfBMPScalar: UnsafeMutablePointer<Int32>
    private let idOfOtherScalar: [UInt32: Int32]
    /// `ignore_merges`: whole words found in the vocabulary, keyed like the words arrive.
    private let wholeWords: ByteSequenceTable?
    /// (last unit of a merge's left token, first unit of its right token) for every merge, as
    /// units go (bytes when byte-level, else scalars). Two adjacent units not listed here can
    /// never end up in one token, so a long word splits there into independent pieces.
    private let joinableUnits: PairRankTable

    init(_ spec: BPESpec, byteLevel: Bool, source: String) throws {
        self.byteLevel = byteLevel
        let maxId = spec.vocab.values.max() ?? -1
        // Ids index tables here and embedding rows later: a wild id is a broken file, not a
        // reason to allocate gigabytes.
        guard maxId < BPEModel.maxTokenId, spec.vocab.values.allSatisfy({ $0 >= 0 }) else {
            throw EngineError.corruptFile(path: source, reason: "vocabulary ids must be in 0..<\(BPEModel.maxTokenId)")
        }
        var tokens = [String?](repeating: nil, count: Int(maxId) + 1)
        for (token, id) in spec.vocab { tokens[Int(id)] = token }
        tokenOfId = tokens

        var merges: [(left: Int32, right: Int32, merged: Int32)] = []
        merges.reserveCapacity(spec.merges.count)
        for (rank, (a, b)) in spec.merges.enumerated() {
            guard let left = spec.vocab[a], let right = spec.vocab[b] else {
                throw EngineError.corruptFile(path: source,
                    reason: "merge \(rank) (\(a) \(b)) uses a token that is not in the vocabulary")
            }
            guard let merged = spec.vocab[a + b] else {
                throw EngineError.corruptFile(path: source,
                    reason: "merge \(rank) (\(a) \(b)) makes \(a + b), which is not in the vocabulary")
            }
            merges.append((left, right, merged))
        }
        pairs = PairRankTable(merges: merges)

        if let unk = spec.unkToken {
            guard let id = spec.vocab[unk] else {
                throw EngineError.corruptFile(path: source, reason: "unk token \(unk) is not in the vocabulary")
            }
            unkId = id
        } else {
            unkId = -1
        }
        fuseUnk = spec.fuseUnk
        byteFallback = spec.byteFallback
        ignoreMerges = spec.ignoreMerges

        idOfByte = (0..<256).map { b in
            spec.vocab[String(Unicode.Scalar(ByteLevelAlphabet.scalarOfByte[b])!)] ?? -1
        }
        byteTokenIds = (0..<256).map { b in
            spec.vocab[BPEModel.byteTokenName(UInt8(b))] ?? -1
        }
        idOfBMPScalar = .allocate(capacity: 0x10000)
        idOfBMPScalar.initialize(repeating: -1, count: 0x10000)
        var others: [UInt32: Int32] = [:]
        for (token, id) in spec.vocab {
            let scalars = token.unicodeScalars
            guard scalars.count == 1, let s = scalars.first else { continue }
            if s.value < 0x10000 { idOfBMPScalar[Int(s.value)] = id } else { others[s.value] = id }
        }
        idOfOtherScalar = others

        var joinable: [(left: Int32, right: Int32, merged: Int32)] = []
        joinable.reserveCapacity(spec.merges.count)
        for (a, b) in spec.merges {
            if byteLevel {
                guard let l = ByteLevelAlphabet.bytes(ofToken: a)?.last,
                      let r = ByteLevelAlphabet.bytes(ofToken: b)?.first else { continue }
                joinable.append((Int32(l), Int32(r), 0))
            } else {
                guard let l = a.unicodeScalars.last, let r = b.unicodeScalars.first else { continue }
                joinable.append((Int32(l.value), Int32(r.value), 0))
            }
        }
        joinableUnits = PairRankTable(merges: joinable)

        if spec.ignoreMerges {
            let table = ByteSequenceTable(initialCapacity: spec.vocab.count * 2, maxEntries: Int.max)
            for (token, id) in spec.vocab {
                let key: [UInt8]? = byteLevel ? ByteLevelAlphabet.bytes(ofToken: token) : Array(token.utf8)
                guard let key, !key.isEmpty else { continue }
                key.withUnsafeBufferPointer { k in
                    let h = ByteSequenceTable.hash(k.baseAddress!, k.count)
                    var value = id
                    if table.lookup(k.baseAddress!, k.count, hash: h) == nil {
                        table.insert(k.baseAddress!, k.count, hash: h, ids: &value, count: 1)
                    }
                }
            }
            wholeWords = table
        } else {
            wholeWords = nil
        }
    }

    /// Largest vocabulary id accepted (real vocabularies stay below 300k).
    static let maxTokenId: Int32 = 1 << 24

    deinit { idOfBMPScalar.deallocate() }

    /// `<0xNN>`, the byte-fallback token of `b` (Rust's `format!("<{:#04X}>")`).
    static func byteTokenName(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "<0x" + String([digits[Int(b >> 4)], digits[Int(b & 15)]]) + ">"
    }

    /// Cuts a long word where no merge can join its neighbours: after a unit whose own token is
    /// in the vocabulary (so no unk is pending there) and before one likewise, when that pair of
    /// units is not joinable. Merging each piece alone gives exactly the whole word's result.
    /// Calls `piece(start, end)` in order.
    func forEachIndependentPiece(_ p: UnsafePointer<UInt8>, _ n: Int, _ piece: (Int, Int) -> Void) {
        var pieceStart = 0
        var previousUnit: Int32 = -1        // -1: previous unit has no token of its own
        var i = 0
        while i < n {
            let unit: Int32, length: Int, known: Bool
            if byteLevel {
                unit = Int32(p[i]); length = 1
                known = idOfByte[Int(p[i])] >= 0
            } else {
                let (v, len) = p[i] < 0x80 ? (UInt32(p[i]), 1) : decodeUTF8(p, i)
                unit = Int32(v); length = len
                known = (v < 0x10000 ? idOfBMPScalar[Int(v)] : (idOfOtherScalar[v] ?? -1)) >= 0
            }
            if known && previousUnit >= 0 && i > pieceStart
                && joinableUnits.lookup(previousUnit, unit) == PairRankTable.absent {
                piece(pieceStart, i)
                pieceStart = i
            }
            previousUnit = known ? unit : -1
            i += length
        }
        if pieceStart < n { piece(pieceStart, n) }
    }

    /// The vocabulary id of a whole word (for `ignore_merges`), or nil.
    @inline(__always)
    func wholeWordId(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        guard let wholeWords else { return nil }
        return wholeWords.lookup(p, n, hash: ByteSequenceTable.hash(p, n))?.first
    }

    /// HF `merge_word`'s first half: the word's characters as symbols, with byte fallback and
    /// unk handling. Appends to `out`.
    func initialSymbols(_ p: UnsafePointer<UInt8>, _ n: Int, into out: UnsafeGrowableBuffer<Int32>) {
        out.count = 0
        out.reserve(n)
        if byteLevel {
            var allKnown = true
            for i in 0..<n {
                let id = idOfByte[Int(p[i])]
                if id < 0 { allKnown = false; break }
                out.base[i] = id
            }
            if allKnown { out.count = n; return }
            out.count = 0
        } else {
            var i = 0, k = 0
            var allKnown = true
            while i < n {
                let (v, len) = p[i] < 0x80 ? (UInt32(p[i]), 1) : decodeUTF8(p, i)
                let id = v < 0x10000 ? idOfBMPScalar[Int(v)] : (idOfOtherScalar[v] ?? -1)
                if id < 0 { allKnown = false; break }
                out.base[k] = id
                k += 1
                i += len
            }
            if allKnown { out.count = k; return }
            out.count = 0
        }
        initialSymbolsSlow(p, n, into: out)
    }

    /// The general path: some character is not in the vocabulary.
    private func initialSymbolsSlow(_ p: UnsafePointer<UInt8>, _ n: Int, into out: UnsafeGrowableBuffer<Int32>) {
        var pendingUnk = false
        var unitBytes: [UInt8] = []
        var i = 0
        while i < n {
            var id: Int32
            unitBytes.removeAll(keepingCapacity: true)
            if byteLevel {
                id = idOfByte[Int(p[i])]
                appendUTF8(ByteLevelAlphabet.scalarOfByte[Int(p[i])], to: &unitBytes)
                i += 1
            } else {
                let (v, len) = decodeUTF8(p, i)
                id = v < 0x10000 ? idOfBMPScalar[Int(v)] : (idOfOtherScalar[v] ?? -1)
                unitBytes.append(contentsOf: UnsafeBufferPointer(start: p + i, count: len))
                i += len
            }
            if id >= 0 {
                if pendingUnk { out.append(unkId); pendingUnk = false }
                out.append(id)
                continue
            }
            if byteFallback && unitBytes.allSatisfy({ byteTokenIds[Int($0)] >= 0 }) {
                // HF adds the byte tokens without flushing a pending unk first.
                for b in unitBytes { out.append(byteTokenIds[Int(b)]) }
                continue
            }
            if unkId >= 0 {
                if pendingUnk && !fuseUnk { out.append(unkId) }
                pendingUnk = true
            }
        }
        if pendingUnk { out.append(unkId) }
    }

    /// Applies merges in rank order (leftmost first among equal ranks) to `symbols`.
    /// Short words use a scan; long ones (SentencePiece-style text without pre-tokenization can
    /// be one multi-megabyte word) use HF's heap over a linked list.
    func merge(_ symbols: UnsafeGrowableBuffer<Int32>, scratch: MergeScratch) {
        if symbols.count < 2 { return }
        if symbols.count <= 48 {
            mergeByScan(symbols, scratch: scratch)
        } else {
            mergeByHeap(symbols, scratch: scratch)
        }
    }

    private func mergeByScan(_ symbols: UnsafeGrowableBuffer<Int32>, scratch: MergeScratch) {
        var n = symbols.count
        let s = symbols.base
        scratch.pairInfo.reserve(n)
        let info = scratch.pairInfo.base     // info[i] = rank << 32 | merged, for pair (i, i+1)
        for i in 0..<(n - 1) { info[i] = pairs.lookup(s[i], s[i + 1]) }
        while n > 1 {
            var best = PairRankTable.absent
            var at = -1
            for i in 0..<(n - 1) where info[i] < best {
                best = info[i]
                at = i
            }
            if at < 0 { break }
            s[at] = Int32(bitPattern: UInt32(truncatingIfNeeded: best))
            // Drop symbol at+1 and pair at+1.
            var j = at + 1
            while j < n - 1 { s[j] = s[j + 1]; j += 1 }
            j = at + 1
            while j < n - 2 { info[j] = info[j + 1]; j += 1 }
            n -= 1
            if at > 0 { info[at - 1] = pairs.lookup(s[at - 1], s[at]) }
            if at < n - 1 { info[at] = pairs.lookup(s[at], s[at + 1]) }
        }
        symbols.count = n
    }

    private func mergeByHeap(_ symbols: UnsafeGrowableBuffer<Int32>, scratch: MergeScratch) {
        let n = symbols.count
        let s = symbols.base
        scratch.prev.reserve(n); scratch.next.reserve(n)
        let prev = scratch.prev.base, next = scratch.next.base
        for i in 0..<n { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1 }
        let heap = scratch.heap
        heap.removeAll()
        for i in 0..<(n - 1) {
            let v = pairs.lookup(s[i], s[i + 1])
            if v != PairRankTable.absent { heap.push(rank: UInt32(v >> 32), position: i, merged: Int32(truncatingIfNeeded: v)) }
        }
        var alive = n
        let removed = Int32.min      // marks a symbol merged into its left neighbour
        while let top = heap.pop() {
            let pos = top.position
            if s[pos] == removed { continue }
            let right = next[pos]
            if right < 0 { continue }
            // Skip entries made stale by earlier merges.
            let current = pairs.lookup(s[pos], s[right])
            if current == PairRankTable.absent || Int32(truncatingIfNeeded: current) != top.merged { continue }
            s[pos] = top.merged
            s[right] = removed
            alive -= 1
            let after = next[right]
            next[pos] = after
            if after >= 0 { prev[after] = pos }
            let before = prev[pos]
            if before >= 0 {
                let v = pairs.lookup(s[before], s[pos])
                if v != PairRankTable.absent { heap.push(rank: UInt32(v >> 32), position: before, merged: Int32(truncatingIfNeeded: v)) }
            }
            if after >= 0 {
                let v = pairs.lookup(s[pos], s[after])
                if v != PairRankTable.absent { heap.push(rank: UInt32(v >> 32), position: pos, merged: Int32(truncatingIfNeeded: v)) }
            }
        }
        var k = 0
        for i in 0..<n where s[i] != removed {
            s[k] = s[i]
            k += 1
        }
        symbols.count = alive
    }
}

/// Per-call scratch for merging.
final class MergeScratch {
    let pairInfo = UnsafeGrowableBuffer<UInt64>(capacity: 64)
    let prev = UnsafeGrowableBuffer<Int>(capacity: 64)
    let next = UnsafeGrowableBuffer<Int>(capacity: 64)
    let heap = MergeHeap()
}

/// A binary min-heap of merge candidates ordered by (rank, position), as HF orders them.
final class MergeHeap {
    struct Entry {
        var key: UInt64          // rank << 32 | position
        var merged: Int32
        var position: Int { Int(key & 0xFFFF_FFFF) }
    }

    private let storage = UnsafeGrowableBuffer<Entry>(capacity: 64)

    func removeAll() { storage.count = 0 }

    func push(rank: UInt32, position: Int, merged: Int32) {
        storage.append(Entry(key: UInt64(rank) << 32 | UInt64(UInt32(truncatingIfNeeded: position)), merged: merged))
        let h = storage.base
        var i = storage.count - 1
        let item = h[i]
        while i > 0 {
            let parent = (i - 1) >> 1
            if h[parent].key <= item.key { break }
            h[i] = h[parent]
            i = parent
        }
        h[i] = item
    }

    func pop() -> Entry? {
        let n = storage.count
        if n == 0 { return nil }
        let h = storage.base
        let top = h[0]
        let last = h[n - 1]
        storage.count = n - 1
        let m = n - 1
        if m > 0 {
            var i = 0
            while true {
                let l = 2 * i + 1
                if l >= m { break }
                let r = l + 1
                let c = (r < m && h[r].key < h[l].key) ? r : l
                if h[c].key >= last.key { break }
                h[i] = h[c]
                i = c
            }
            h[i] = last
        }
        return top
    }
}
