import Foundation

/// The `austen` corpus: Jane Austen's six novels from the Debian package r-cran-janeaustenr,
/// read from the R package's lazy-load data (one character vector per novel, one line per element).
enum AustenCorpus {
    static let dataDirectory = "usr/lib/R/site-library/janeaustenr/data"
    /// The package's documented order (DESCRIPTION; levels of austen_books()$book). The index
    /// itself lists the novels alphabetically, so the order cannot come from the file.
    static let novels = ["sensesensibility", "prideprejudice", "mansfieldpark", "emma",
                         "northangerabbey", "persuasion"]

    /// `root` is where the .deb was unpacked (`dpkg-deb -x`).
    static func build(extractedPackage root: URL) throws -> [UInt8] {
        let data = root.appendingPathComponent(dataDirectory)
        let database = try RLazyLoadDatabase(
            indexPath: data.appendingPathComponent("Rdata.rdx").path,
            recordsPath: data.appendingPathComponent("Rdata.rdb").path)
        var lines = [[String?]]()
        for name in novels {
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
