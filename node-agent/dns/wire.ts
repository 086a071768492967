/**
 * The DNS wire format (RFC 1035, EDNS0 from RFC 6891), as much as the node's DNS server needs:
 * parsing a query strictly, and encoding names and resource records. A query is accepted only
 * in the one shape stub resolvers send: one question, no answer or authority records, at most
 * one additional record which must be EDNS's OPT, no compression pointer, nothing after the
 * last record. Anything else is refused with a reply no larger than the query, or dropped.
 */

/** Record types the server knows. */
export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, IXFR: 251, AXFR: 252, ANY: 255 } as const;
/** Classes: IN, and ANY in questions. */
export const CLASS = { IN: 1, ANY: 255 } as const;
/** Response codes (BADVERS needs EDNS's extended bits). */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;

/** Header flag bits. */
export const FLAG = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, RA: 0x0080, AD: 0x0020, CD: 0x0010 } as const;

/** A DNS header is 12 bytes; the question follows it. */
export const HEADER_BYTES = 12;
/** The largest UDP answer without EDNS. */
export const CLASSIC_UDP_BYTES = 512;
/** The UDP size the server advertises and honours at most (DNS flag day 2020: no fragmentation). */
export const EDNS_UDP_BYTES = 1232;
const MAX_NAME_BYTES = 255;

/** Query is a parsed question, with what the answer must echo. */
export interface Query {
  id: number;
  /** Recursion desired (copied to the answer). */
  rd: boolean;
  /** Checking disabled (copied to the answer). */
  cd: boolean;
  /** The name in lower case, dotted, without the final dot; '' for the root. Labels holding a dot or a byte outside printable ASCII are escaped as \DDD. */
  name: string;
  qtype: number;
  qclass: number;
  /** The offset just past the question: bytes 12..questionEnd are the question to echo. */
  questionEnd: number;
  /** EDNS: present when the query had an OPT record. */
  edns?: { udpSize: number; version: number; dnssecOk: boolean };
}

/** ParseOutcome is a query to answer, an error to reply with (header only), or a packet to drop silently. */
export type ParseOutcome = { kind: 'query'; query: Query } | { kind: 'error'; id: number; rcode: number; rd: boolean } | { kind: 'drop'; reason: string };

class FormatError extends Error {}

/** readName reads an uncompressed name at `offset`; returns it (see Query.name) and the offset past it. */
function readName(buf: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = offset;
  let wire = 0;
  for (;;) {
    if (at >= buf.length) throw new FormatError('name runs past the end');
    const len = buf[at] ?? 0;
    if (len === 0) {
      wire += 1;
      at += 1;
      break;
    }
    // 0xc0: a compression pointer, never needed in a query's question; 0x40/0x80: reserved label types.
    if (len > 63) throw new FormatError('compressed or extended label');
    wire += len + 1;
    if (wire + 1 > MAX_NAME_BYTES) throw new FormatError('name longer than 255 bytes');
    if (at + 1 + len > buf.length) throw new FormatError('label runs past the end');
    let label = '';
    for (let i = at + 1; i <= at + len; i++) {
      let c = buf[i] ?? 0;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      label += c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c ? String.fromCharCode(c) : `\\${String(c).padStart(3, '0')}`;
    }
    labels.push(label);
    at += 1 + len;
  }
  return { name: labels.join('.'), end: at };
}

/** parseQuery reads a query the way the module comment says. It never throws. */
export function parseQuery(buf: Buffer): ParseOutcome {
  if (buf.length < HEADER_BYTES) return { kind: 'drop', reason: 'shorter than a header' };
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  // Never answer an answer: two servers could otherwise bounce packets forever.
  if (flags & FLAG.QR) return { kind: 'drop', reason: 'a response, not a query' };
  const rd = (flags & FLAG.RD) !== 0;
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) return { kind: 'error', id, rcode: RCODE.NOTIMP, rd };
  const [qd, an, ns, ar] = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  if (qd !== 1 || an !== 0 || ns !== 0 || ar > 1) return { kind: 'error', id, rcode: RCODE.FORMERR, rd };
  try {
    const { name, end } = readName(buf, HEADER_BYTES);
    if (end + 4 > buf.length) throw new FormatError('question cut short');
    const qtype = buf.readUInt16BE(end);
    const qclass = buf.readUInt16BE(end + 2);
    const questionEnd = end + 4;
    let at = questionEnd;
    let edns: Query['edns'];
    if (ar === 1) {
      // The OPT record: root name, type 41, class = UDP size, TTL = extended rcode, version, flags.
      if (at + 11 > buf.length || buf[at] !== 0) throw new FormatError('additional record is not OPT');
      if (buf.readUInt16BE(at + 1) !== TYPE.OPT) throw new FormatError('additional record is not OPT');
      const udpSize = buf.readUInt16BE(at + 3);
      const version = buf[at + 6] ?? 0;
      const dnssecOk = ((buf[at + 7] ?? 0) & 0x80) !== 0;
      const rdlen = buf.readUInt16BE(at + 9);
      at += 11 + rdlen;
      if (at > buf.length) throw new FormatError('OPT record cut short');
      edns = { udpSize, version, dnssecOk };
    }
    if (at !== buf.length) throw new FormatError('bytes after the last record');
    const query: Query = { id, rd, cd: (flags & FLAG.CD) !== 0, name, qtype, qclass, questionEnd, ...(edns ? { edns } : {}) };
    return { kind: 'query', query };
  } catch (err) {
    if (err instanceof FormatError) return { kind: 'error', id, rcode: RCODE.FORMERR, rd };
    throw err;
  }
}

/** encodeName writes a dotted name (no escapes: names the server makes up itself) in wire form. */
export function encodeName(name: string): Buffer {
  const labels = name === '' ? [] : name.split('.');
  const out = Buffer.alloc(labels.reduce((n, l) => n + 1 + Buffer.byteLength(l), 1));
  let at = 0;
  for (const label of labels) {
    const len = Buffer.byteLength(label);
    if (len === 0 || len > 63) throw new RangeError(`label "${label}" of "${name}" must have 1 to 63 bytes`);
    out[at] = len;
    out.write(label, at + 1, 'latin1');
    at += 1 + len;
  }
  if (out.length > MAX_NAME_BYTES) throw new RangeError(`name "${name}" is longer than 255 bytes`);
  return out;
}

/** A pointer to the question's name, which always sits right after the header. */
export const QUESTION_NAME = Buffer.from([0xc0, HEADER_BYTES]);

/** encodeRecord writes one resource record: owner (wire form or QUESTION_NAME), type, class IN, TTL, data. */
export function encodeRecord(owner: Buffer, type: number, ttl: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(CLASS.IN, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, fixed, rdata]);
}

/** ipv4Data is an A record's data. */
export function ipv4Data(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

/** srvData is an SRV record's data (the target is never compressed, RFC 2782). */
export function srvData(priority: number, weight: number, port: number, target: string): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt16BE(priority, 0);
  head.writeUInt16BE(weight, 2);
  head.writeUInt16BE(port, 4);
  return Buffer.concat([head, encodeName(target)]);
}

/** txtData is a TXT record's data: one character string. */
export function txtData(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  if (bytes.length > 255) throw new RangeError('TXT string longer than 255 bytes');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** soaData is an SOA record's data. */
export function soaData(mname: string, rname: string, serial: number, refresh: number, retry: number, expire: number, minimum: number): Buffer {
  const numbers = Buffer.alloc(20);
  [serial, refresh, retry, expire, minimum].forEach((n, i) => numbers.writeUInt32BE(n >>> 0, i * 4));
  return Buffer.concat([encodeName(mname), encodeName(rname), numbers]);
}
