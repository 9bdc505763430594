import Foundation
import Synchronization

/// Wall time per forward-pass phase, for `twossp bench engine --profile`. Off by default;
/// when off, `measure` costs one atomic load.
public enum PhaseTimer {
    public enum Phase: String, CaseIterable, Sendable {
        case norms = "rmsnorm", qkv = "qkv projection", rope = "rope+bias", attention = "attention"
        case outProjection = "o projection", gateUp = "gate/up projection", swiglu = "swiglu", down = "down projection"
        case head = "lm head sgemm", crossEntropy = "cross-entropy"
    }

    private static let enabledFlag = Atomic<Bool>(false)
    private static let totals = Mutex<[Phase: Double]>([:])

    public static var enabled: Bool {
        get { enabledFlag.load(ordering: .relaxed) }
        set { enabledFlag.store(newValue, ordering: .relaxed) }
    }

    @inline(__always)
    public static func measure<T>(_ phase: Phase, _ body: () throws -> T) rethrows -> T {
        guard enabled else { return try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            totals.withLock { $0[phase, default: 0] += seconds }
        }
        return try body()
    }

    public static func reset() { totals.withLock { $0 = [:] } }
    public static func snapshot() -> [Phase: Double] { totals.withLock { $0 } }
}
