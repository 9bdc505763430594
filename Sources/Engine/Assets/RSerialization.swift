import Foundation

/// A value from R's serialisation format: the subset that data packages use (character,
/// integer, logical, double and raw vectors, lists, pairlists, symbols, attributes).
struct RObject {
    indirect enum Value {
        case null
        case symbol(String)
        /// STRSXP; nil elements are NA_character_.
        case strings([String?])
        /// INTSXP and LGLSXP (NA is Int32.min, as in R).
        case integers([Int32])
        case doubles([Double])
        case raw([UInt8])
        /// VECSXP / EXPRSXP.
        case list([RObject])
        case pairlist([(tag: String?, value: RObject)])
    }

    var value: Value
    var attributes: [(name: String, value: RObject)] = []

    func attribute(_ name: String) -> RObject? {
        attributes.first(where: { $0.name == name })?.value
    }

    /// The `names` attribute, when it is a character vector.
    var names: [String?]? {
        if case .strings(let names)? = attribute("names")?.value { return names }
        return nil
    }

    /// The element of a named list (or the value of a tagged pairlist) called `name`.
    func element(named name: String) -> RObject? {
        switch value {
        case .list(let items):
            guard let names, names.count == items.count, let i = names.firstIndex(of: name) else { return nil }
            return items[i]
        case .pairlist(let items):
            return items.first(where: { $0.tag == name })?.value
        default:
            return nil
        }
    }
}

/// Parses R's XDR ("X\n", format 2 or 3) serialisation, as written by saveRDS and the lazy-load
/// databases of installed packages. Lengths are checked against the remaining bytes before any
/// allocation; nesting depth is bounded; unsupported SEXP types are a clear error.
struct RSerializationReader {
    private let bytes: UnsafeRawBufferPointer
    private let source: String
    private var position = 0
    private var references: [RObject] = []
    /// Encoding of strings without an encoding flag (format 3 records the writer's locale).
    private var nativeIsLatin1 = false

    // SEXP type codes and flag bits from R's serialize.c / Rinternals.h.
    private enum SEXP {
        static let symbol = 1, pairlist = 2, char = 9, logical = 10, integer = 13, real = 14
        static let string = 16, vector = 19, expression = 20, raw = 24
        static let reference = 255, nilValue = 254, globalEnv = 253, unboundValue = 252
        static let missingArg = 251, baseNamespace = 247, emptyEnv = 242, baseEnv = 241
    }
    private static let latin1Flag = 1 << 2, utf8Flag = 1 << 3, asciiFlag = 1 << 6, bytesFlag = 1 << 1
    private static let maximumDepth = 256

    /// Reads the header and the single object that follows it.
    static func read(_ bytes: UnsafeRawBufferPointer, source: String) throws -> RObject {
        var reader = RSerializationReader(bytes: bytes, source: source)
        try reader.readHeader()
        return try reader.readItem(depth: 0)
    }

    private init(bytes: UnsafeRawBufferPointer, source: String) {
        self.bytes = bytes
        self.source = source
    }

    private func corrupt(_ reason: String) -> EngineError {
        .corruptFile(path: source, reason: "R serialisation at byte \(position): \(reason)")
    }

    private mutating func readInt() throws -> Int32 {
        guard bytes.count - position >= 4 else { throw corrupt("truncated") }
        defer { position += 4 }
        return Int32(bitPattern: bytes.bigEndianUInt32(at: position))
    }

    private mutating func readBytes(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, bytes.count - position >= count else {
            throw corrupt("a field of \(count) bytes runs past the end (\(bytes.count - position) left)")
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    private mutating func readHeader() throws {
        let format = try readBytes(2)
        guard format[0] == UInt8(ascii: "X"), format[1] == UInt8(ascii: "\n") else {
            throw corrupt("not an XDR serialisation (format bytes \(Array(format)))")
        }
        let version = try readInt()
        _ = try readInt()  // R version that wrote it
        _ = try readInt()  // minimal R version to read it
        switch version {
        case 2:
            break
        case 3:
            let length = Int(try readInt())
            let encoding = String(decoding: try readBytes(length), as: UTF8.self).uppercased()
            nativeIsLatin1 = encoding == "LATIN1" || encoding == "ISO-8859-1" || encoding == "ISO8859-1"
        default:
            throw corrupt("serialisation format version \(version) (expected 2 or 3)")
        }
    }

    /// A vector length: an int, or -1 followed by two ints for a long vector. `minimumElementSize`
    /// rejects lengths the remaining bytes cannot hold before anything is allocated.
    private mutating func readLength(minimumElementSize: Int) throws -> Int {
        let short = try readInt()
        var length = Int(short)
        if short == -1 {
            let upper = Int(UInt32(bitPattern: try readInt())), lower = Int(UInt32(bitPattern: try readInt()))
            length = upper << 32 | lower
        }
        guard length >= 0, length <= (bytes.count - position) / max(minimumElementSize, 1) else {
            throw corrupt("vector length \(length) exceeds the remaining data")
        }
        return length
    }

    private mutating func readItem(depth: Int) throws -> RObject {
        guard depth < RSerializationReader.maximumDepth else { throw corrupt("nesting deeper than \(RSerializationReader.maximumDepth)") }
        let flags = Int(try readInt())
        let type = flags & 0xff
        let levels = flags >> 12
        let hasAttributes = flags & (1 << 9) != 0
        let hasTag = flags & (1 << 10) != 0

        var object: RObject
        switch type {
        case SEXP.nilValue, SEXP.globalEnv, SEXP.unboundValue, SEXP.missingArg,
             SEXP.baseNamespace, SEXP.emptyEnv, SEXP.baseEnv:
            return RObject(value: .null)
        case SEXP.reference:
            var index = flags >> 8
            if index == 0 { index = Int(try readInt()) }
            guard index >= 1, index <= references.count else { throw corrupt("reference \(index) to an unknown object") }
            return references[index - 1]
        case SEXP.symbol:
            let name = try readItem(depth: depth + 1)
            guard case .strings(let s) = name.value, s.count == 1, let text = s[0] else {
                throw corrupt("symbol without a name")
            }
            let symbol = RObject(value: .symbol(text))
            references.append(symbol)
            return symbol
        case SEXP.pairlist:
            return try readPairlist(firstFlags: flags, depth: depth)
        case SEXP.char:
            return RObject(value: .strings([try readCharacter(levels: levels)]))
        case SEXP.logical, SEXP.integer:
            let n = try readLength(minimumElementSize: 4)
            var values = [Int32](repeating: 0, count: n)
            for i in 0..<n { values[i] = try readInt() }
            object = RObject(value: .integers(values))
        case SEXP.real:
            let n = try readLength(minimumElementSize: 8)
            var values = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let hi = UInt64(UInt32(bitPattern: try readInt())), lo = UInt64(UInt32(bitPattern: try readInt()))
                values[i] = Double(bitPattern: hi << 32 | lo)
            }
            object = RObject(value: .doubles(values))
        case SEXP.string:
            let n = try readLength(minimumElementSize: 8)
            var values = [String?]()
            values.reserveCapacity(n)
            for _ in 0..<n {
                let elementFlags = Int(try readInt())
                guard elementFlags & 0xff == SEXP.char else { throw corrupt("character vector element of type \(elementFlags & 0xff)") }
                values.append(try readCharacter(levels: elementFlags >> 12))
            }
            object = RObject(value: .strings(values))
        case SEXP.vector, SEXP.expression:
            let n = try readLength(minimumElementSize: 4)
            var items = [RObject]()
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try readItem(depth: depth + 1)) }
            object = RObject(value: .list(items))
        case SEXP.raw:
            let n = try readLength(minimumElementSize: 1)
            object = RObject(value: .raw(Array(try readBytes(n))))
        default:
            throw corrupt("SEXP type \(type) is not supported (only data vectors, lists and pairlists)")
        }
        _ = hasTag  // vectors carry no tag
        if hasAttributes {
            let attributes = try readItem(depth: depth + 1)
            guard case .pairlist(let items) = attributes.value else { throw corrupt("attributes are not a pairlist") }
            object.attributes = items.map { (name: $0.tag ?? "", value: $0.value) }
        }
        return object
    }

    /// A pairlist, read iteratively along its CDR chain so long lists do not recurse.
    private mutating func readPairlist(firstFlags: Int, depth: Int) throws -> RObject {
        var items = [(tag: String?, value: RObject)]()
        var flags = firstFlags
        while true {
            if flags & (1 << 9) != 0 { _ = try readItem(depth: depth + 1) }  // node attributes: unused
            var tag: String?
            if flags & (1 << 10) != 0 {
                let tagObject = try readItem(depth: depth + 1)
                if case .symbol(let name) = tagObject.value { tag = name }
            }
            items.append((tag: tag, value: try readItem(depth: depth + 1)))
            flags = Int(try readInt())
            let type = flags & 0xff
            if type == SEXP.nilValue { break }
            guard type == SEXP.pairlist else { throw corrupt("pairlist ends in a non-list (type \(type))") }
        }
        return RObject(value: .pairlist(items))
    }

    /// A CHARSXP body: length (-1 for NA) and bytes, decoded by its encoding flag.
    private mutating func readCharacter(levels: Int) throws -> String? {
        let length = try readInt()
        if length == -1 { return nil }
        let raw = try readBytes(Int(length))
        let latin1 = levels & RSerializationReader.latin1Flag != 0
            || (nativeIsLatin1 && levels & (RSerializationReader.utf8Flag | RSerializationReader.asciiFlag) == 0)
        if latin1 {
            return String(String.UnicodeScalarView(raw.map { Unicode.Scalar($0) }))
        }
        if levels & RSerializationReader.bytesFlag != 0 {
            throw corrupt("a string marked as raw bytes (no text encoding)")
        }
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw corrupt("a string that is not valid UTF-8")
        }
        return text
    }
}
