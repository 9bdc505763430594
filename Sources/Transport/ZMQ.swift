import CZMQ
import Foundation

/// A ZeroMQ failure, with libzmq's own reason.
public struct ZMQError: Error, CustomStringConvertible {
    public let operation: String
    public let code: Int32
    public var description: String { "\(operation): \(String(cString: zmq_strerror(code)))" }
    static func last(_ operation: String) -> ZMQError { ZMQError(operation: operation, code: zmq_errno()) }
    public var isTimeout: Bool { code == EAGAIN }
}

/// A libzmq context (thread-safe). Close every socket before the context goes away.
public final class ZMQContext: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    private var terminated = false

    public init() {
        raw = zmq_ctx_new()
    }

    /// Waits until every socket is closed and their lingering messages are sent (or dropped
    /// after their linger time). Call before `exit`, which would otherwise cut the last messages.
    public func terminate() {
        if !terminated { terminated = true; zmq_ctx_term(raw) }
    }

    deinit { terminate() }
}

/// One ZeroMQ socket. Not thread-safe: exactly one thread uses it for its whole life.
/// Linger is 0 so closing never blocks on a vanished peer.
public final class ZMQSocket {
    public enum Kind { case router, dealer, pair, rep
        var raw: Int32 {
            switch self { case .router: ZMQ_ROUTER; case .dealer: ZMQ_DEALER; case .pair: ZMQ_PAIR; case .rep: ZMQ_REP }
        }
    }

    let raw: UnsafeMutableRawPointer
    private var closed = false
    public let context: ZMQContext
    /// The remote address of the last message received over TCP ("Peer-Address"), if known.
    public private(set) var lastPeerAddress: String?

    public init(_ context: ZMQContext, _ kind: Kind) throws {
        guard let s = zmq_socket(context.raw, kind.raw) else { throw ZMQError.last("zmq_socket") }
        self.context = context
        raw = s
        try set(ZMQ_LINGER, Int32(0))
    }

    deinit { close() }

    public func close() {
        if !closed { zmq_close(raw); closed = true }
    }

    public func set(_ option: Int32, _ value: Int32) throws {
        var v = value
        guard zmq_setsockopt(raw, option, &v, MemoryLayout<Int32>.size) == 0 else { throw ZMQError.last("zmq_setsockopt(\(option))") }
    }

    public func set(_ option: Int32, _ value: Int64) throws {
        var v = value
        guard zmq_setsockopt(raw, option, &v, MemoryLayout<Int64>.size) == 0 else { throw ZMQError.last("zmq_setsockopt(\(option))") }
    }

    public func set(_ option: Int32, bytes: [UInt8]) throws {
        guard bytes.withUnsafeBytes({ zmq_setsockopt(raw, option, $0.baseAddress, $0.count) }) == 0 else {
            throw ZMQError.last("zmq_setsockopt(\(option))")
        }
    }

    public func set(_ option: Int32, string: String) throws { try set(option, bytes: Array(string.utf8)) }

    /// Binds and returns the resolved endpoint (a `*` port becomes the real one).
    @discardableResult
    public func bind(_ endpoint: String) throws -> String {
        guard zmq_bind(raw, endpoint) == 0 else { throw ZMQError.last("bind \(endpoint)") }
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        zmq_getsockopt(raw, ZMQ_LAST_ENDPOINT, &buffer, &size)
        return String(cString: buffer)
    }

    public func connect(_ endpoint: String) throws {
        guard zmq_connect(raw, endpoint) == 0 else { throw ZMQError.last("connect \(endpoint)") }
    }

    /// Sends a multipart message. With `wait: false`, a full queue or an unroutable peer
    /// (ROUTER_MANDATORY) throws instead of blocking.
    public func send(_ frames: [Data], wait: Bool = true) throws {
        for (i, frame) in frames.enumerated() {
            var flags: Int32 = i + 1 < frames.count ? ZMQ_SNDMORE : 0
            if !wait { flags |= ZMQ_DONTWAIT }
            while true {
                let rc = frame.withUnsafeBytes { zmq_send(raw, $0.baseAddress, $0.count, flags) }
                if rc >= 0 { break }
                if zmq_errno() == EINTR { continue }
                throw ZMQError.last("send")
            }
        }
    }

    /// Receives one whole multipart message, or nil if none arrives within `timeoutMs`
    /// (-1 waits forever, 0 polls).
    public func receive(timeoutMs: Int = -1) throws -> [Data]? {
        if timeoutMs >= 0 {
            guard try ZMQPoll.readable([self], timeoutMs: timeoutMs)[0] else { return nil }
        }
        var frames: [Data] = []
        lastPeerAddress = nil
        let msg = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { msg.deallocate() }
        while true {
            zmq_msg_init(msg)
            defer { zmq_msg_close(msg) }
            var rc: Int32
            repeat { rc = zmq_msg_recv(msg, raw, 0) } while rc < 0 && zmq_errno() == EINTR
            guard rc >= 0 else { throw ZMQError.last("receive") }
            frames.append(Data(bytes: zmq_msg_data(msg), count: zmq_msg_size(msg)))
            if let address = zmq_msg_gets(msg, "Peer-Address") { lastPeerAddress = String(cString: address) }
            if zmq_msg_more(msg) == 0 { return frames }
        }
    }
}

public enum ZMQPoll {
    /// Which of `sockets` have a message to read, waiting up to `timeoutMs`.
    public static func readable(_ sockets: [ZMQSocket], timeoutMs: Int) throws -> [Bool] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.raw, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        var rc: Int32
        repeat { rc = zmq_poll(&items, Int32(items.count), timeoutMs) } while rc < 0 && zmq_errno() == EINTR
        guard rc >= 0 else { throw ZMQError.last("poll") }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }
}

/// CURVE key pairs (Z85 text, 40 characters each).
public enum CurveKeys {
    public static var available: Bool { zmq_has("curve") == 1 }

    public static func generate() throws -> (publicKey: String, secretKey: String) {
        var pub = [CChar](repeating: 0, count: 41), sec = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&pub, &sec) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        return (String(cString: pub), String(cString: sec))
    }

    /// The public key of a Z85 secret key.
    public static func publicKey(ofSecret secret: String) throws -> String {
        var pub = [CChar](repeating: 0, count: 41)
        guard secret.utf8.count == 40, zmq_curve_public(&pub, secret) == 0 else {
            throw ZMQError(operation: "derive public key (the secret key must be 40 Z85 characters)", code: EINVAL)
        }
        return String(cString: pub)
    }

    /// Z85 text of a raw 32-byte key (ZAP reports raw keys).
    public static func z85Encode(_ raw: Data) -> String {
        var out = [CChar](repeating: 0, count: raw.count * 5 / 4 + 1)
        _ = raw.withUnsafeBytes { zmq_z85_encode(&out, $0.bindMemory(to: UInt8.self).baseAddress, $0.count) }
        return String(cString: out)
    }
}
