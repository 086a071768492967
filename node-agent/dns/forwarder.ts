import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import { FLAG, HEADER_BYTES, type Query } from './wire.js';

/** Upstream is one resolver of the node (from its resolv.conf). */
export interface Upstream {
  address: string;
  port: number;
}

/** ForwarderOptions bound what forwarding may cost. */
export interface ForwarderOptions {
  /** How long one upstream gets to answer before the next is asked. */
  timeoutMs: number;
  /** Queries in flight at most; beyond, queries fail at once (SERVFAIL) instead of piling up. */
  maxPending: number;
}

interface Pending {
  upstream: Upstream;
  question: Buffer;
  done: (answer: Buffer | undefined) => void;
}

/**
 * Forwarder is used by the DNS server for names outside the cluster: it asks the node's
 * resolvers in order, each for at most `timeoutMs`, and hands back the first answer with the
 * client's query id. Queries go out under an id of the forwarder's own, from one UDP socket,
 * and an answer is taken only from the upstream asked, with that id and the same question, so
 * a stray or spoofed packet never becomes an answer. An answer truncated over UDP is asked again
 * over TCP when the client itself came over TCP; over UDP the client gets it truncated and
 * retries over TCP, as stub resolvers do.
 *
 * Lifecycle: the socket opens with the first query; close() fails what is in flight.
 */
export class Forwarder {
  private socket: UdpSocket | undefined;
  private readonly pending = new Map<number, Pending>();

  constructor(readonly upstreams: readonly Upstream[], private readonly options: ForwarderOptions) {}

  /** forward returns the upstream's answer to `request`, or undefined when none answered in time. */
  async forward(request: Buffer, query: Query, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    const question = request.subarray(HEADER_BYTES, query.questionEnd);
    for (const upstream of this.upstreams) {
      let answer = await this.overUdp(upstream, request, question);
      if (answer && transport === 'tcp' && (answer.readUInt16BE(2) & FLAG.TC) !== 0) answer = await this.overTcp(upstream, request, question);
      if (answer) {
        answer.writeUInt16BE(query.id, 0);
        return answer;
      }
    }
    return undefined;
  }

  close(): void {
    for (const p of this.pending.values()) p.done(undefined);
    this.pending.clear();
    this.socket?.close();
    this.socket = undefined;
  }

  private udpSocket(): UdpSocket {
    if (this.socket) return this.socket;
    const socket = createSocket('udp4');
    socket.on('message', (msg, from) => {
      if (msg.length < HEADER_BYTES) return;
      const p = this.pending.get(msg.readUInt16BE(0));
      if (!p || from.address !== p.upstream.address || from.port !== p.upstream.port) return;
      if (!isAnswerTo(msg, p.question)) return;
      p.done(Buffer.from(msg));
    });
    socket.on('error', () => {
      // Reopened by the next query; what was in flight times out.
      if (this.socket === socket) this.socket = undefined;
      socket.close();
    });
    this.socket = socket;
    return socket;
  }

  private overUdp(upstream: Upstream, request: Buffer, question: Buffer): Promise<Buffer | undefined> {
    if (this.pending.size >= this.options.maxPending) return Promise.resolve(undefined);
    let id = randomInt(0, 65536);
    while (this.pending.has(id)) id = (id + 1) & 0xffff;
    const out = Buffer.from(request);
    out.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), this.options.timeoutMs);
      const done = (answer: Buffer | undefined) => {
        clearTimeout(timer);
        if (this.pending.get(id)?.done === done) this.pending.delete(id);
        resolve(answer);
      };
      this.pending.set(id, { upstream, question, done });
      this.udpSocket().send(out, upstream.port, upstream.address, (err) => {
        if (err) done(undefined);
      });
    });
  }

  private overTcp(upstream: Upstream, request: Buffer, question: Buffer): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const id = randomInt(0, 65536);
      const framed = Buffer.alloc(2 + request.length);
      framed.writeUInt16BE(request.length, 0);
      request.copy(framed, 2);
      framed.writeUInt16BE(id, 2);
      const socket = connect({ host: upstream.address, port: upstream.port });
      let got = Buffer.alloc(0);
      const finish = (answer: Buffer | undefined) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => finish(undefined), this.options.timeoutMs);
      socket.on('connect', () => socket.write(framed));
      socket.on('data', (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        if (got.length < 2) return;
        const length = got.readUInt16BE(0);
        if (got.length < 2 + length) return;
        const msg = got.subarray(2, 2 + length);
        finish(msg.length >= HEADER_BYTES && msg.readUInt16BE(0) === id && isAnswerTo(msg, question) ? Buffer.from(msg) : undefined);
      });
      socket.on('error', () => finish(undefined));
      socket.on('close', () => finish(undefined));
    });
  }
}

/** isAnswerTo tells whether `msg` is a response carrying exactly `question`. */
function isAnswerTo(msg: Buffer, question: Buffer): boolean {
  if ((msg.readUInt16BE(2) & FLAG.QR) === 0 || msg.readUInt16BE(4) !== 1) return false;
  return msg.length >= HEADER_BYTES + question.length && msg.subarray(HEADER_BYTES, HEADER_BYTES + question.length).equals(question);
}
