import Engine

/// `twossp fetch`: fills the cache with the built-in model and corpora (idempotent).
enum FetchCommand {
    static let usage = """
    usage: twossp fetch [NAME ...]

    Downloads and checks the built-in assets into $TWOSSP_CACHE (default ~/.cache/twossp):
    model smollm2-135m, corpora wiki, shakespeare, austen. With no NAME, all of them.
    Already cached and verified assets are not fetched again. Prints each asset's path.
    """

    static func run(_ argv: [String]) throws {
        let args = try Arguments(argv, options: [], flags: ["quiet"], positional: true)
        if args.helpRequested { print(usage); return }
        Progress.quiet = args.flag("quiet")
        let names = args.positional.isEmpty ? AssetCache.builtinModels + AssetCache.builtinCorpora : args.positional
        for name in names {
            if AssetCache.builtinModels.contains(name) {
                print("\(name)\t\(try AssetCache.resolveModel(name))")
            } else if AssetCache.builtinCorpora.contains(name) {
                print("\(name)\t\(try AssetCache.resolveCorpus(name))")
            } else {
                throw UsageError("'\(name)' is not a built-in asset (models: \(AssetCache.builtinModels.joined(separator: ", ")); corpora: \(AssetCache.builtinCorpora.joined(separator: ", ")))")
            }
        }
    }
}
