#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An exclusive advisory lock (flock) on a file, held until `unlock()` or deinit, so two
/// processes fetching the same asset take turns instead of both writing it. flock locks belong
/// to the open file description, so two threads of one process also exclude each other.
final class FileLock {
    private var descriptor: Int32

    /// Blocks until the lock is held; `onWait` runs once if another holder makes us wait.
    init(path: String, onWait: () -> Void = {}) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw EngineError.io(path: path, reason: "cannot open lock file: \(String(cString: strerror(errno)))")
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return }
        onWait()
        while flock(descriptor, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let reason = String(cString: strerror(errno))
            close(descriptor)
            descriptor = -1
            throw EngineError.io(path: path, reason: "cannot lock: \(reason)")
        }
    }

    func unlock() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { unlock() }
}
