/// Bad usage of the command line: printed as one line, exit code 64 (EX_USAGE).
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Parsed `--option value`, `--option=value` and `--flag` arguments of one subcommand.
/// Each command declares which options take values and which are flags; anything else is a
/// usage error, so typos never pass silently.
struct Arguments {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []
    private(set) var positional: [String] = []
    private(set) var helpRequested = false

    init(_ args: [String], options: Set<String>, flags allowedFlags: Set<String>, positional allowPositional: Bool = false) throws {
        var i = 0
        while i < args.count {
            let arg = args[i]
            i += 1
            if arg == "--help" || arg == "-h" { helpRequested = true; continue }
            guard arg.hasPrefix("--") else {
                guard allowPositional else { throw UsageError("unexpected argument '\(arg)'") }
                positional.append(arg); continue
            }
            var name = String(arg.dropFirst(2))
            var inlineValue: String? = nil
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if allowedFlags.contains(name) {
                guard inlineValue == nil else { throw UsageError("--\(name) takes no value") }
                flags.insert(name)
            } else if options.contains(name) {
                if let inlineValue { values[name] = inlineValue; continue }
                guard i < args.count else { throw UsageError("--\(name) needs a value") }
                values[name] = args[i]
                i += 1
            } else {
                throw UsageError("unknown option '--\(name)'")
            }
        }
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }
    func string(_ name: String) -> String? { values[name] }

    func required(_ name: String) throws -> String {
        guard let v = values[name] else { throw UsageError("--\(name) is required") }
        return v
    }

    func int(_ name: String, default value: Int? = nil, range: ClosedRange<Int> = 0...Int.max) throws -> Int? {
        guard let s = values[name] else { return value }
        guard let v = Int(s), range.contains(v) else {
            throw UsageError("--\(name) must be an integer in \(range.lowerBound)...\(range.upperBound == Int.max ? "" : String(range.upperBound)) (got '\(s)')")
        }
        return v
    }

    func double(_ name: String, default value: Double? = nil) throws -> Double? {
        guard let s = values[name] else { return value }
        guard let v = Double(s), v.isFinite else { throw UsageError("--\(name) must be a number (got '\(s)')") }
        return v
    }
}
