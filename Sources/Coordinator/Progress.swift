import Foundation

/// Progress of long work on stderr: a redrawn bar with ETA on a terminal, otherwise plain
/// lines at most every few seconds (logs stay readable). `--quiet` silences it.
final class Progress {
    private let label: String
    private let total: Int
    private let start = Date()
    private var lastPrint = Date.distantPast
    private let isTerminal = isatty(2) != 0
    nonisolated(unsafe) static var quiet = false

    init(_ label: String, total: Int) {
        self.label = label
        self.total = max(1, total)
    }

    func update(_ done: Int, detail: String = "") {
        guard !Progress.quiet else { return }
        let now = Date()
        let finished = done >= total
        guard finished || now.timeIntervalSince(lastPrint) >= (isTerminal ? 0.2 : 5) else { return }
        lastPrint = now
        let elapsed = now.timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : .nan
        let fraction = Double(done) / Double(total)
        let timing = finished ? "in \(Progress.clock(elapsed))" : "ETA \(Progress.clock(eta))"
        let suffix = detail.isEmpty ? "" : " \(detail)"
        if isTerminal {
            let width = 28, filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write("\r\u{1B}[K\(label) [\(bar)] \(done)/\(total) \(timing)\(suffix)\(finished ? "\n" : "")")
        } else {
            FileHandle.standardError.write("\(label): \(done)/\(total) (\(Int(fraction * 100))%) \(timing)\(suffix)\n")
        }
    }

    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}

extension FileHandle {
    func write(_ string: String) { write(string.data(using: .utf8)!) }
}

/// A status line on stderr (not a result), unless quiet.
func note(_ message: String) {
    guard !Progress.quiet else { return }
    FileHandle.standardError.write(message + "\n")
}
