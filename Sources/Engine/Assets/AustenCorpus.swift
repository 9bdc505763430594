import Foundation

/// The `austen` corpus: Jane Austen's six novels from the Debian package r-cran-janeaustenr,
/// read from the R package's lazy-load data (one character vector per novel, one line per element).
enum AustenCorpus {
    static let dataDirectory = "usr/lib/R/site-library/janeaustenr/data"
    /// The objects the package's data must hold, no more and no fewer (1.0.0 lists them in this,
    /// alphabetical, order in Rdata.rdx and stores them in the same order in Rdata.rdb).
    static let novels: Set<String> = ["emma", "mansfieldpark", "northangerabbey", "persuasion",
                                      "prideprejudice", "sensesensibility"]

    /// `root` is where the .deb was unpacked (`dpkg-deb -x`). The novels are concatenated in the
    /// order of the index (not the package's documented order, which starts with Sense and
    /// Sensibility): that is the text assets.md's perplexities were measured on.
    static func build(extractedPackage root: URL) throws -> [UInt8] {
        let data = root.appendingPathComponent(dataDirectory)
        let indexPath = data.appendingPathComponent("Rdata.rdx").path
        let database = try RLazyLoadDatabase(
            indexPath: indexPath, recordsPath: data.appendingPathComponent("Rdata.rdb").path)
        let names = database.variables.map(\.name)
        guard names.count == novels.count, Set(names) == novels else {
            throw EngineError.corruptFile(path: indexPath,
                reason: "expected the six novels \(novels.sorted()), found \(names)")
        }
        var lines = [[String?]]()
        for name in names {
            let object = try database.object(named: name)
            guard case .strings(let novel) = object.value else {
                throw EngineError.corruptFile(path: data.path, reason: "'\(name)' is not a character vector")
            }
            lines.append(novel)
        }
        return Array(text(novels: lines).utf8)
    }

    /// Every line ends with "\n" and one blank line separates the novels. This is the choice that
    /// reproduces assets.md's 995,507 SmolLM2 tokens (scripts/build_corpora_reference.py): a single
    /// "\n" between novels gives 995,502. An NA line (none occur in 1.0.0) is written empty.
    static func text(novels: [[String?]]) -> String {
        novels.map { novel in novel.map { ($0 ?? "") + "\n" }.joined() }.joined(separator: "\n")
    }
}
