/**
 * A small DNS client for tests: encodes queries (also deliberately odd ones) and decodes
 * answers, with name compression, independently of the server's own codec; sends them over UDP
 * and TCP.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

/** QueryOptions shape one query. */
export interface QueryOptions {
  id?: number;
  /** EDNS UDP size; no OPT record when absent. */
  edns?: number;
  ednsVersion?: number;
  qclass?: number;
}

/** encodeQuery builds a standard query for one name and type (name case kept). */
export function encodeQuery(name: string, type: number, options: QueryOptions = {}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(options.id ?? 0x1234, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  if (options.edns !== undefined) header.writeUInt16BE(1, 10);
  const labels = name.split('.').filter((l) => l !== '');
  const qname = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(options.qclass ?? 1, 2);
  const parts = [header, qname, tail];
  if (options.edns !== undefined) {
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(41, 1);
    opt.writeUInt16BE(options.edns, 3);
    opt[6] = options.ednsVersion ?? 0;
    parts.push(opt);
  }
  return Buffer.concat(parts);
}

/** DecodedRecord is one record of an answer, its data shown as text (address, name, SRV fields, TXT). */
export interface DecodedRecord {
  name: string;
  type: number;
  ttl: number;
  data: string;
}

/** DecodedAnswer is a whole answer. */
export interface DecodedAnswer {
  id: number;
  rcode: number;
  aa: boolean;
  tc: boolean;
  qr: boolean;
  question: string;
  answers: DecodedRecord[];
  authority: DecodedRecord[];
  additional: DecodedRecord[];
}

function readName(buf: Buffer, start: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = start;
  let end = -1;
  for (let hops = 0; hops < 64; hops++) {
    const len = buf[at];
    if (len === undefined) throw new Error('name runs past the end');
    if (len === 0) return { name: labels.join('.'), end: end < 0 ? at + 1 : end };
    if ((len & 0xc0) === 0xc0) {
      if (end < 0) end = at + 2;
      at = ((len & 0x3f) << 8) | (buf[at + 1] ?? 0);
      continue;
    }
    labels.push(buf.toString('latin1', at + 1, at + 1 + len));
    at += 1 + len;
  }
  throw new Error('compression loop');
}

/** decodeAnswer reads a DNS response. */
export function decodeAnswer(buf: Buffer): DecodedAnswer {
  const flags = buf.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  let at = 12;
  let question = '';
  for (let i = 0; i < (counts[0] ?? 0); i++) {
    const q = readName(buf, at);
    question = q.name;
    at = q.end + 4;
  }
  const sections: DecodedRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < (counts[s + 1] ?? 0); i++) {
      const n = readName(buf, at);
      const type = buf.readUInt16BE(n.end);
      const ttl = buf.readUInt32BE(n.end + 4);
      const rdlen = buf.readUInt16BE(n.end + 8);
      const rd = n.end + 10;
      let data = buf.subarray(rd, rd + rdlen).toString('hex');
      if (type === 1) data = [...buf.subarray(rd, rd + 4)].join('.');
      else if (type === 12 || type === 5) data = readName(buf, rd).name;
      else if (type === 33) data = `${buf.readUInt16BE(rd)} ${buf.readUInt16BE(rd + 2)} ${buf.readUInt16BE(rd + 4)} ${readName(buf, rd + 6).name}`;
      else if (type === 16) data = buf.toString('latin1', rd + 1, rd + 1 + (buf[rd] ?? 0));
      else if (type === 6) data = readName(buf, rd).name;
      sections[s]!.push({ name: n.name, type, ttl, data });
      at = rd + rdlen;
    }
  }
  return { id: buf.readUInt16BE(0), rcode: flags & 0xf, aa: (flags & 0x400) !== 0, tc: (flags & 0x200) !== 0, qr: (flags & 0x8000) !== 0, question, answers: sections[0]!, authority: sections[1]!, additional: sections[2]! };
}

/** udpExchange sends one datagram and returns the first one back, or undefined after `timeoutMs`. */
export function udpExchange(host: string, port: number, message: Buffer, timeoutMs = 2_000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const finish = (answer: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('message', (msg) => finish(msg));
    socket.on('error', () => finish(undefined));
    socket.send(message, port, host);
  });
}

/** tcpExchange sends length-framed messages on one connection and returns the framed answers received (in arrival order) once `expect` came or the time is up. */
export function tcpExchange(host: string, port: number, messages: Buffer[], expect = messages.length, timeoutMs = 3_000): Promise<{ answers: Buffer[]; closed: boolean }> {
  return new Promise((resolve) => {
    const answers: Buffer[] = [];
    let got = Buffer.alloc(0);
    let closed = false;
    const socket = connect({ host, port }, () => {
      for (const m of messages) {
        const framed = Buffer.alloc(2 + m.length);
        framed.writeUInt16BE(m.length, 0);
        m.copy(framed, 2);
        socket.write(framed);
      }
    });
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answers, closed });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      while (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        answers.push(got.subarray(2, 2 + got.readUInt16BE(0)));
        got = got.subarray(2 + got.readUInt16BE(0));
      }
      if (answers.length >= expect) finish();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => undefined);
  });
}
