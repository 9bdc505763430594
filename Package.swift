// swift-tools-version:6.0
import PackageDescription

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
            swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        .target(name: "Protocol", dependencies: ["Engine"]),
        .target(name: "Transport", dependencies: ["CZMQ"]),
        .executableTarget(name: "Coordinator", dependencies: ["Engine", "Protocol", "Transport"]),
        .executableTarget(name: "Worker", dependencies: ["Engine", "Protocol", "Transport"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine"]),
        .testTarget(name: "ProtocolTests", dependencies: ["Protocol", "Engine"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Engine", "Protocol", "Transport"]),
    ],
    swiftLanguageModes: [.v6]
)
