import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'winston';
import type { ClusterZone } from './cluster-zone.js';
import type { Forwarder } from './forwarder.js';
import { resolve } from './resolver.js';
import { buildResponse, errorResponse, udpLimit } from './response.js';
import { HEADER_BYTES, parseQuery, RCODE, type Query } from './wire.js';

/** DnsServerOptions say where the server listens and what it answers from. */
export interface DnsServerOptions {
  address: string;
  port: number;
  zone: ClusterZone;
  /** Asked for names outside the cluster; without one they get SERVFAIL. */
  forwarder?: Forwarder;
  logger: Logger;
}

/** DnsCounters count what the server did, for logs, tests and benchmarks. */
export interface DnsCounters {
  answered: number;
  forwarded: number;
  failed: number;
  malformed: number;
  dropped: number;
}

/** A TCP connection says nothing for this long: it is closed (RFC 7766 suggests seconds). */
const TCP_IDLE_MS = 10_000;
const MAX_TCP_CONNECTIONS = 256;
/** Forwarded queries in flight on one TCP connection before it stops being read. */
const MAX_TCP_IN_FLIGHT = 32;
const TCP_MAX_BYTES = 65_535;

/**
 * DnsServer is the node's DNS server, in the agent's process: UDP and TCP on one address and
 * port. Cluster names are answered from the ClusterZone in memory; other names are forwarded.
 * It never answers a response, answers a malformed query with a bare header (never more bytes
 * than it got), sends UDP answers within the client's size (truncated, with TC, beyond it), and
 * bounds TCP connections, their idle time and their queries in flight.
 *
 * Lifecycle: start() binds both sockets (failing if it cannot); listen() keeps trying while the
 * address does not exist yet (the pod bridge appears with the first pod); stop() closes
 * everything, the forwarder included.
 */
export class DnsServer {
  readonly counters: DnsCounters = { answered: 0, forwarded: 0, failed: 0, malformed: 0, dropped: 0 };
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly connections = new Set<Socket>();
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: DnsServerOptions) {}

  /** True once both sockets are bound. */
  get listening(): boolean {
    return this.udp !== undefined && this.tcp !== undefined;
  }

  /** start binds UDP and TCP on the address and port; rejects when either cannot be bound. */
  async start(): Promise<void> {
    const udp = createSocket({ type: 'udp4' });
    try {
      await new Promise<void>((ok, fail) => {
        udp.once('error', fail);
        udp.bind({ address: this.options.address, port: this.options.port, exclusive: true }, () => ok());
      });
      const tcp = createServer({ noDelay: true }, (socket) => this.onConnection(socket));
      tcp.maxConnections = MAX_TCP_CONNECTIONS;
      await new Promise<void>((ok, fail) => {
        tcp.once('error', fail);
        tcp.listen({ host: this.options.address, port: this.options.port, exclusive: true }, () => ok());
      });
      udp.removeAllListeners('error');
      udp.on('error', (err) => this.options.logger.warn('DNS UDP socket error', { error: err.message }));
      udp.on('message', (msg, peer) => this.onDatagram(msg, peer));
      this.udp = udp;
      this.tcp = tcp;
    } catch (err) {
      udp.close();
      throw err;
    }
  }

  /**
   * listen starts the server, and while its address does not exist on the node yet
   * (EADDRNOTAVAIL) tries again every `retryMs`. Resolves true once listening now, false when a
   * retry was scheduled. Other failures reject.
   */
  async listen(retryMs = 1_000): Promise<boolean> {
    if (this.listening || this.stopped) return this.listening;
    clearTimeout(this.retry);
    try {
      await this.start();
      this.options.logger.info('DNS server listening', { address: `${this.options.address}:${this.options.port}` });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw err;
      this.retry = setTimeout(() => {
        this.listen(retryMs).catch((e: unknown) => this.options.logger.error('DNS server cannot listen', { error: String(e) }));
      }, retryMs);
      this.retry.unref();
      return false;
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.udp?.close();
    this.tcp?.close();
    for (const socket of this.connections) socket.destroy();
    this.options.forwarder?.close();
    this.udp = undefined;
    this.tcp = undefined;
  }

  /** answer decides the reply to one message; undefined means send nothing. */
  private answer(msg: Buffer, transport: 'udp' | 'tcp'): Buffer | Promise<Buffer> | undefined {
    const parsed = parseQuery(msg);
    if (parsed.kind === 'drop') {
      this.counters.dropped++;
      return undefined;
    }
    if (parsed.kind === 'error') {
      this.counters.malformed++;
      return errorResponse(parsed.id, parsed.rd, parsed.rcode);
    }
    const query = parsed.query;
    const limit = transport === 'udp' ? udpLimit(query) : TCP_MAX_BYTES;
    const decision = resolve(this.options.zone, query);
    if (decision.kind === 'reply') {
      this.counters.answered++;
      return buildResponse(msg, query, decision.reply, limit);
    }
    return this.forward(msg, query, transport, limit);
  }

  private async forward(msg: Buffer, query: Query, transport: 'udp' | 'tcp', limit: number): Promise<Buffer> {
    const answer = await this.options.forwarder?.forward(msg, query, transport);
    if (answer && answer.length <= limit) {
      this.counters.forwarded++;
      return answer;
    }
    // Larger than the client takes over UDP: sent truncated (TC), and the client asks again over TCP.
    if (answer) return buildResponse(msg, query, { rcode: answer.readUInt16BE(2) & 0xf, authoritative: false }, 0);
    this.counters.failed++;
    return buildResponse(msg, query, { rcode: RCODE.SERVFAIL, authoritative: false }, limit);
  }

  private onDatagram(msg: Buffer, peer: RemoteInfo): void {
    const reply = this.answer(msg, 'udp');
    if (reply === undefined) return;
    const send = (out: Buffer) => this.udp?.send(out, peer.port, peer.address);
    if (!(reply instanceof Promise)) return void send(reply);
    reply.then(send, (err: unknown) => this.options.logger.warn('DNS forwarding failed', { error: String(err) }));
  }

  private onConnection(socket: Socket): void {
    this.connections.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered: Buffer = Buffer.alloc(0);
    let inFlight = 0;
    const write = (out: Buffer) => {
      if (socket.destroyed) return;
      const framed = Buffer.allocUnsafe(2 + out.length);
      framed.writeUInt16BE(out.length, 0);
      out.copy(framed, 2);
      socket.write(framed);
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        // A message too short for a header cannot be answered: the stream has lost its framing.
        if (length < HEADER_BYTES) return void socket.destroy();
        if (buffered.length < 2 + length) break;
        const msg = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        const reply = this.answer(msg, 'tcp');
        if (reply === undefined) continue;
        if (!(reply instanceof Promise)) {
          write(reply);
          continue;
        }
        if (++inFlight >= MAX_TCP_IN_FLIGHT) socket.pause();
        reply.then(
          (out) => {
            write(out);
            if (--inFlight < MAX_TCP_IN_FLIGHT) socket.resume();
          },
          () => socket.destroy(),
        );
      }
    });
  }
}
