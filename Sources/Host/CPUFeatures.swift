import Foundation

/// Checks, before any engine code runs, that this CPU has what the engine was compiled for
/// (x86-64-v3: AVX2 and FMA, see Package.swift). Without this a pre-2013 x86 CPU would die of
/// SIGILL mid-run; with it the user gets one clear line. Compiled without those flags itself.
public enum CPUFeatures {
    public static func requireEngineSupport(program: String) {
        #if arch(x86_64)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        let missing = ["avx2", "fma", "bmi2"].filter { !flags.contains($0) }
        if !missing.isEmpty {
            FileHandle.standardError.write(Data("\(program): error: this CPU lacks \(missing.joined(separator: ", ")); twossp is built for x86-64-v3 (AVX2 + FMA). Rebuild without the -march flag in Package.swift to run here.\n".utf8))
            exit(1)
        }
        #endif
    }
}
