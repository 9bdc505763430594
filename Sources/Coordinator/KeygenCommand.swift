import Foundation
import Transport

/// `twossp keygen`: a CURVE key pair for the coordinator or a worker.
enum KeygenCommand {
    static let usage = """
    usage: twossp keygen --out PREFIX

    Writes a CURVE key pair: PREFIX.key (the secret key, mode 0600) and PREFIX.pub (the public
    key). Give the coordinator its .key with --secret-key and the workers' .pub lines in
    --allowed-keys; give each worker its own .key and the coordinator's .pub (--server-key).
    """

    static func run(_ argv: [String]) throws {
        let args = try Arguments(argv, options: ["out"], flags: ["force"])
        if args.helpRequested { print(usage); return }
        let prefix = try args.required("out")
        guard CurveKeys.available else { throw UsageError("this libzmq was built without CURVE support") }
        let (publicKey, secretKey) = try CurveKeys.generate()
        let fm = FileManager.default
        let keyPath = prefix + ".key", pubPath = prefix + ".pub"
        if !args.flag("force") {
            for p in [keyPath, pubPath] where fm.fileExists(atPath: p) {
                throw UsageError("\(p) exists (use --force to overwrite)")
            }
        }
        guard fm.createFile(atPath: keyPath, contents: Data("# twossp CURVE secret key (public: \(publicKey))\n\(secretKey)\n".utf8),
                            attributes: [.posixPermissions: 0o600]) else {
            throw UsageError("cannot write \(keyPath)")
        }
        try Data("\(publicKey)\n".utf8).write(to: URL(fileURLWithPath: pubPath))
        print("secret key: \(keyPath)\npublic key: \(pubPath) (\(publicKey))")
    }

    /// Reads a Z85 key given inline (40 characters) or as a file (first non-comment line).
    static func readKey(_ value: String, what: String) throws -> String {
        if value.utf8.count == 40, !FileManager.default.fileExists(atPath: value) { return value }
        guard let keys = try? readKeyList(value), let first = keys.first else {
            throw UsageError("\(what): cannot read a key from \(value)")
        }
        return first
    }

    /// Z85 keys, one per line, `#` comments allowed.
    static func readKeyList(_ path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw UsageError("cannot read \(path)") }
        let keys = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        for k in keys where k.utf8.count != 40 { throw UsageError("\(path): '\(k)' is not a 40-character Z85 key") }
        return keys
    }
}
