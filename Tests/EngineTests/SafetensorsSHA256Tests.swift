import Foundation
@testable import Engine

/// Hashes for fixture comparisons, through Engine's SHA-256 (checked against FIPS vectors and
/// hashlib in SHA256Tests): fixture hashes come from Python's hashlib.
enum TestSHA256 {
    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        SHA256.hex(of: Data(bytes))
    }

    /// SHA-256 of fp32 values as little-endian bytes, as `hashlib.sha256(t.numpy().tobytes())`.
    static func hex(floats: [Float]) -> String {
        floats.withUnsafeBytes { SHA256.hex(of: $0) }
    }
}
