import CZMQ
import Engine
import Foundation
import Protocol
import Synchronization
import Transport

/// The worker process: the main thread owns the DEALER socket to the coordinator (hello,
/// heartbeats, routing); one compute thread runs the model. Heartbeats go out while the
/// compute thread is busy, so a long forward pass never looks like a dead worker.
final class WorkerService {
    struct Options {
        var coordinator: String
        var threads: Int
        var modelPath: String?
        var name: String
        var secretKey: String?
        var serverKey: String?
        /// Give up when no coordinator has answered after this long (nil: wait forever).
        var waitSeconds: Double?
    }

    enum Exit: Int32 { case done = 0, failure = 1, rejected = 2, coordinatorLost = 3 }

    let options: Options
    let context = ZMQContext()
    let sessionID = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()

    init(options: Options) { self.options = options }

    func log(_ message: String) {
        FileHandle.standardError.write(Data("twossp-worker[\(options.name)]: \(message)\n".utf8))
    }

    func run() -> Exit {
        do { return try serve() } catch {
            log("error: \(error)")
            return .failure
        }
    }

    private func serve() throws -> Exit {
        let socket = try ZMQSocket(context, .dealer)
        try socket.set(ZMQ_MAXMSGSIZE, Int64(4) << 30)
        try socket.set(ZMQ_ROUTING_ID, string: sessionID)
        if let secret = options.secretKey, let server = options.serverKey {
            try socket.set(ZMQ_CURVE_SERVERKEY, string: server)
            try socket.set(ZMQ_CURVE_PUBLICKEY, string: try CurveKeys.publicKey(ofSecret: secret))
            try socket.set(ZMQ_CURVE_SECRETKEY, string: secret)
        }
        try socket.connect(options.coordinator)
        let hello = Hello(sessionID: sessionID, name: options.name, hostname: ProcessInfo.processInfo.hostName,
                          pid: Int(getpid()), threads: options.threads, modelPath: options.modelPath)
        try socket.send(MessageCodec.encode(.hello(hello)))
        log("connecting to \(options.coordinator) (session \(sessionID.prefix(8)), \(options.threads) threads)")

        // Results of the compute thread come back over an inproc pair, so one poll serves both.
        let resultsEndpoint = "inproc://results-\(sessionID)"
        let results = try ZMQSocket(context, .pair)
        try results.bind(resultsEndpoint)
        let inbox = ComputeInbox()
        let computeFinished = DispatchSemaphore(value: 0)
        let computeThread = Thread { [context, options] in
            ComputeLoop.run(context: context, endpoint: resultsEndpoint, inbox: inbox, modelPath: options.modelPath)
            computeFinished.signal()
        }
        computeThread.stackSize = 16 << 20
        computeThread.start()
        // Orderly shutdown on every exit path: the compute thread closes its end, then our sockets
        // close (the DEALER lingers only after a bye, to deliver the parting figures) and the
        // context terminates, which is what actually flushes them before the process exits.
        defer {
            inbox.put(nil)
            _ = computeFinished.wait(timeout: .now() + 5)
            results.close()
            socket.close()
            context.terminate()
        }

        var heartbeatMs = 1000
        var welcomed = false
        let started = Date()
        var lastHeard = Date()
        var lastSent = Date()
        while true {
            let ready = try ZMQPoll.readable([socket, results], timeoutMs: 200)
            let now = Date()
            if ready[0], let frames = try socket.receive(timeoutMs: 0) {
                lastHeard = now
                let message: Message
                do { message = try MessageCodec.decode(frames) } catch {
                    log("ignoring a malformed message from the coordinator: \(error)")
                    continue
                }
                switch message {
                case .welcome(let w):
                    welcomed = true
                    heartbeatMs = max(100, w.heartbeatMs)
                    log("joined as worker \(w.workerIndex)")
                case .reject(let reason):
                    log("rejected by the coordinator: \(reason)")
                    return .rejected
                case .bye(let reason):
                    inbox.put(.workerStats(WorkerStats(peakRSSBytes: PeakMemory.residentBytes(), tasks: 0, computeSeconds: 0)))
                    if let frames = try results.receive(timeoutMs: 5000) {
                        try socket.set(ZMQ_LINGER, Int32(2000))   // let the figures leave before closing
                        try socket.send(frames)
                    }
                    log("run finished: \(reason) (peak RSS \(PeakMemory.residentBytes() >> 20) MiB)")
                    return .done
                case .heartbeat: break
                default:
                    guard welcomed else { log("ignoring \(message) before welcome"); continue }
                    inbox.put(message)
                }
            }
            if ready[1], let frames = try results.receive(timeoutMs: 0) {
                try socket.send(frames)
                lastSent = now
            }
            if welcomed, now.timeIntervalSince(lastSent) * 1000 >= Double(heartbeatMs) {
                try socket.send(MessageCodec.encode(.heartbeat))
                lastSent = now
            }
            // Generous: the coordinator does some work between polls (writing the model, hashing).
            if welcomed, now.timeIntervalSince(lastHeard) > max(15, Double(heartbeatMs) * 10 / 1000) {
                log("the coordinator went silent for \(String(format: "%.1f", now.timeIntervalSince(lastHeard))) s: giving up")
                return .coordinatorLost
            }
            if !welcomed, let wait = options.waitSeconds, now.timeIntervalSince(started) > wait {
                log("no answer from a coordinator at \(options.coordinator) within \(Int(wait)) s")
                return .coordinatorLost
            }
        }
    }
}

/// Messages for the compute thread (nil = stop), a blocking queue.
final class ComputeInbox: Sendable {
    private let queue = Mutex<[Message?]>([])
    private let available = DispatchSemaphore(value: 0)

    func put(_ message: Message?) {
        queue.withLock { $0.append(message) }
        available.signal()
    }

    func take() -> Message? {
        available.wait()
        return queue.withLock { $0.removeFirst() }
    }
}

/// Peak resident memory of this process (the kernel's high-water mark, VmHWM).
enum PeakMemory {
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kib * 1024
    }
}

/// The compute thread's loop: take a message, compute, send the reply back to the I/O thread.
enum ComputeLoop {
    static func run(context: ZMQContext, endpoint: String, inbox: ComputeInbox, modelPath: String?) {
        guard let socket = try? ZMQSocket(context, .pair), (try? socket.connect(endpoint)) != nil else {
            FileHandle.standardError.write(Data("twossp-worker: cannot open the internal results channel\n".utf8))
            exit(WorkerService.Exit.failure.rawValue)
        }
        let compute = ShardCompute(localModelPath: modelPath)
        while let message = inbox.take() {
            if let reply = compute.handle(message) {
                try? socket.send(MessageCodec.encode(reply))
            }
        }
        socket.close()
    }
}
