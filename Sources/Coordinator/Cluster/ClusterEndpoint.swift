import CZMQ
import Engine
import Foundation
import Protocol
import Transport

/// A worker that completed the handshake.
struct WorkerInfo {
    let index: Int
    let identity: Data
    let hello: Hello
    /// Where it connected from (TCP peer address), when known.
    let address: String?
    var lastHeard: Date
    var label: String { "worker \(index) (\(hello.name), \(hello.hostname)\(address.map { " at \($0)" } ?? "") pid \(hello.pid))" }
}

/// What happened on the coordinator's socket.
enum ClusterEvent {
    case joined(WorkerInfo)
    case message(worker: Int, Message)
    /// A peer that was refused (bad version, garbage, unknown key...), already answered.
    case refused(peer: String, reason: String)
    case lost(worker: Int, reason: String)
}

/// The coordinator's ROUTER socket and everything about its peers: handshake with version
/// check, optional CURVE authentication against an allowed-key list (served by a ZAP handler
/// on the same thread), heartbeats both ways and liveness. One thread owns it.
final class ClusterEndpoint {
    struct Security {
        var secretKey: String
        var allowedKeys: Set<String>
    }

    static let heartbeatMs = 1000
    /// A worker silent this long is declared dead (3 missed heartbeats).
    static let deadAfter: TimeInterval = 3.5

    let context = ZMQContext()
    private let router: ZMQSocket
    private let zap: ZMQSocket?
    private let security: Security?
    private(set) var endpoint = ""
    private(set) var workers: [WorkerInfo] = []
    private var byIdentity: [Data: Int] = [:]
    private var refusedIdentities: Set<Data> = []
    private var lost: Set<Int> = []
    private var lastHeartbeat = Date()
    private var pendingEvents: [ClusterEvent] = []
    /// Bytes of message frames sent to and received from workers (for the report).
    private(set) var bytesSent = 0
    private(set) var bytesReceived = 0

    init(bind address: String, security: Security?) throws {
        self.security = security
        if let security {
            // The ZAP handler must be bound before any CURVE socket binds.
            let zap = try ZMQSocket(context, .rep)
            try zap.bind("inproc://zeromq.zap.01")
            self.zap = zap
            router = try ZMQSocket(context, .router)
            try router.set(ZMQ_CURVE_SERVER, Int32(1))
            try router.set(ZMQ_CURVE_SECRETKEY, string: security.secretKey)
            try router.set(ZMQ_ZAP_DOMAIN, string: "twossp")
        } else {
            zap = nil
            router = try ZMQSocket(context, .router)
        }
        try router.set(ZMQ_ROUTER_MANDATORY, Int32(1))
        // A short queue per worker: streamed weights wait for the worker instead of piling up
        // in memory (2 tasks in flight + heartbeats need far less).
        try router.set(ZMQ_SNDHWM, Int32(32))
        try router.set(ZMQ_MAXMSGSIZE, Int64(4) << 30)
        endpoint = try router.bind(address)
    }

    deinit {
        // Give the last messages (bye to every worker) a moment to leave; the context's
        // termination, right after, waits for them.
        try? router.set(ZMQ_LINGER, Int32(1000))
        router.close()
        zap?.close()
        context.terminate()
    }

    /// Whether an endpoint is reachable only from this host.
    static func isLoopback(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard endpoint.hasPrefix("tcp://") else { return false }
        let host = endpoint.dropFirst(6).split(separator: ":").dropLast().joined(separator: ":")
        return host == "127.0.0.1" || host == "localhost" || host.hasPrefix("127.") || host == "[::1]"
    }

    /// Sends without ever blocking on a worker that stopped reading: while its queue is full,
    /// incoming traffic, heartbeats and liveness keep being served, and the send gives up once
    /// the worker is declared lost (the `.lost` event then reports it).
    func send(_ message: Message, to worker: Int) throws {
        let frames = [workers[worker].identity] + MessageCodec.encode(message)
        while !lost.contains(worker) {
            do {
                try router.send(frames, wait: false)
                bytesSent += frames.dropFirst().reduce(0) { $0 + $1.count }
                return
            } catch let error as ZMQError where error.code == EHOSTUNREACH {
                markLost(worker, "it is no longer connected")
            } catch let error as ZMQError where error.code == EAGAIN {
                try pump(timeoutMs: 50)
            }
        }
    }

    func broadcast(_ message: Message) {
        for w in workers where !lost.contains(w.index) { try? send(message, to: w.index) }
    }

    /// Waits up to `timeoutMs` for socket activity; returns what happened (possibly nothing).
    func poll(timeoutMs: Int) throws -> [ClusterEvent] {
        try pump(timeoutMs: timeoutMs)
        defer { pendingEvents = [] }
        return pendingEvents
    }

    /// Serves the socket once: incoming messages and ZAP requests become pending events,
    /// heartbeats go out, silent workers are declared lost.
    private func pump(timeoutMs: Int) throws {
        var sockets = [router]
        if let zap { sockets.append(zap) }
        let ready = try ZMQPoll.readable(sockets, timeoutMs: timeoutMs)
        if ready.count > 1, ready[1] { try answerZAP() }
        if ready[0] {
            // Drain what is queued, so bursts of results do not wait a poll each.
            while let frames = try router.receive(timeoutMs: 0) { handle(frames, from: router.lastPeerAddress) }
        }
        let now = Date()
        if now.timeIntervalSince(lastHeartbeat) * 1000 >= Double(Self.heartbeatMs) {
            lastHeartbeat = now
            // Best effort: a worker whose queue is full is being sent data anyway.
            let beat = MessageCodec.encode(.heartbeat)
            for w in workers where !lost.contains(w.index) { try? router.send([w.identity] + beat, wait: false) }
        }
        for w in workers where !lost.contains(w.index) && now.timeIntervalSince(w.lastHeard) > Self.deadAfter {
            markLost(w.index, String(format: "no heartbeat for %.1f s", now.timeIntervalSince(w.lastHeard)))
        }
    }

    private func markLost(_ worker: Int, _ reason: String) {
        guard !lost.contains(worker) else { return }
        lost.insert(worker)
        pendingEvents.append(.lost(worker: worker, reason: reason))
    }

    private func handle(_ frames: [Data], from address: String?) {
        guard frames.count >= 2 else { return }
        let identity = frames[0]
        let body = Array(frames.dropFirst())
        bytesReceived += body.reduce(0) { $0 + $1.count }
        if let index = byIdentity[identity] {
            guard !lost.contains(index) else { return }
            workers[index].lastHeard = Date()
            do {
                let message = try MessageCodec.decode(body)
                if case .heartbeat = message { return }
                pendingEvents.append(.message(worker: index, message))
            } catch {
                pendingEvents.append(.message(worker: index, .failure(taskID: nil, message: "malformed message: \(error)")))
            }
            return
        }
        let peer = "peer \(identity.prefix(16).map { String(format: "%02x", $0) }.joined())\(address.map { " at \($0)" } ?? "")"
        if refusedIdentities.contains(identity) { return }
        func refuse(_ reason: String) {
            refusedIdentities.insert(identity)
            try? router.send([identity] + MessageCodec.encode(.reject(reason)), wait: false)
            pendingEvents.append(.refused(peer: peer, reason: reason))
        }
        let message: Message
        do { message = try MessageCodec.decode(body) } catch {
            return refuse("not a twossp hello: \(error)")
        }
        guard case .hello(let hello) = message else { return refuse("expected a hello first, got \(message)") }
        guard hello.wireMajor == WireVersion.major else {
            return refuse("wire version \(hello.wireMajor).\(hello.wireMinor) is incompatible with this coordinator's \(WireVersion.text)")
        }
        guard !workers.contains(where: { $0.hello.sessionID == hello.sessionID }) else {
            return refuse("session \(hello.sessionID) is already connected")
        }
        let info = WorkerInfo(index: workers.count, identity: identity, hello: hello, address: address, lastHeard: Date())
        workers.append(info)
        byIdentity[identity] = info.index
        try? send(.welcome(Welcome(workerIndex: info.index, heartbeatMs: Self.heartbeatMs)), to: info.index)
        pendingEvents.append(.joined(info))
    }

    /// ZAP (RFC 27): allow a CURVE client only if its public key is on the list.
    private func answerZAP() throws {
        guard let zap, let security, let request = try zap.receive(timeoutMs: 0), request.count >= 6 else { return }
        let requestID = request[1]
        let address = String(decoding: request[3], as: UTF8.self)
        let mechanism = String(decoding: request[5], as: UTF8.self)
        var allowed = false
        var key = "?"
        if mechanism == "CURVE", request.count >= 7, request[6].count == 32 {
            key = CurveKeys.z85Encode(request[6])
            allowed = security.allowedKeys.contains(key)
        }
        if !allowed {
            pendingEvents.append(.refused(peer: "a client at \(address)", reason: "its CURVE public key \(key) is not in the allowed list"))
        }
        try zap.send([Data("1.0".utf8), requestID, Data((allowed ? "200" : "400").utf8),
                      Data((allowed ? "OK" : "key not allowed").utf8), Data(), Data()])
    }
}
