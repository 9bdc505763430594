import Foundation

/// Every failure the engine reports to a user: each case names the file or thing at fault and
/// says what is wrong, so the command line can print it as is and exit non-zero.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    /// A file could not be opened or read at all.
    case io(path: String, reason: String)
    /// A file was read but its content is invalid (truncated, bad offsets, wrong dtype, ...).
    case corruptFile(path: String, reason: String)
    /// The file is valid but describes a model we do not run (architecture, dtype, component).
    case unsupported(String)
    /// Model pieces do not fit together (shape vs config, missing tensor, ...).
    case mismatch(String)
    /// A request that cannot be satisfied (bad argument values, too little text, ...).
    case invalidArgument(String)
    /// Fetching or building a cached asset failed.
    case asset(name: String, reason: String)

    public var description: String {
        switch self {
        case .io(let path, let reason): return "\(path): \(reason)"
        case .corruptFile(let path, let reason): return "\(path): corrupt or truncated file: \(reason)"
        case .unsupported(let what): return "unsupported: \(what)"
        case .mismatch(let what): return what
        case .invalidArgument(let what): return what
        case .asset(let name, let reason): return "asset '\(name)': \(reason)"
        }
    }
}
