import { CLASSIC_UDP_BYTES, EDNS_UDP_BYTES, FLAG, HEADER_BYTES, TYPE, type Query } from './wire.js';

/** Records are the encoded records of one section and their count. */
export interface Records {
  data: Buffer;
  count: number;
}

/** recordsOf joins encoded records into one section. */
export function recordsOf(records: readonly Buffer[]): Records {
  return { data: Buffer.concat(records), count: records.length };
}

/** Reply is an answer to build around a query's question. */
export interface Reply {
  rcode: number;
  authoritative: boolean;
  answer?: Records;
  authority?: Records;
  additional?: Records;
}

/** udpLimit is the largest UDP answer the client takes: 512 bytes, or its EDNS size up to the server's own. */
export function udpLimit(query: Query): number {
  if (!query.edns) return CLASSIC_UDP_BYTES;
  return Math.min(EDNS_UDP_BYTES, Math.max(CLASSIC_UDP_BYTES, query.edns.udpSize));
}

const OPT_BYTES = 11;

function writeOpt(out: Buffer, at: number, query: Query, rcode: number): void {
  out[at] = 0;
  out.writeUInt16BE(TYPE.OPT, at + 1);
  out.writeUInt16BE(EDNS_UDP_BYTES, at + 3);
  out[at + 5] = rcode >> 4;
  out[at + 6] = 0;
  out.writeUInt16BE(query.edns?.dnssecOk ? 0x8000 : 0, at + 7);
  out.writeUInt16BE(0, at + 9);
}

/**
 * buildResponse answers `query` (parsed from `request`): the header, the question copied as it
 * came (so the name keeps the client's letter case), the sections, and an OPT record when the
 * query had one. When it would exceed `maxBytes` it is sent truncated (TC) with no records, and
 * the client asks again over TCP.
 */
export function buildResponse(request: Buffer, query: Query, reply: Reply, maxBytes: number): Buffer {
  const questionBytes = query.questionEnd - HEADER_BYTES;
  const opt = query.edns ? OPT_BYTES : 0;
  const sections = [reply.answer, reply.authority, reply.additional];
  const full = HEADER_BYTES + questionBytes + sections.reduce((n, s) => n + (s?.data.length ?? 0), 0) + opt;
  const truncated = full > maxBytes;
  const size = truncated ? HEADER_BYTES + questionBytes + opt : full;
  const out = Buffer.allocUnsafe(size);
  let flags = FLAG.QR | FLAG.RA | (reply.rcode & 0xf);
  if (reply.authoritative) flags |= FLAG.AA;
  if (query.rd) flags |= FLAG.RD;
  if (query.cd) flags |= FLAG.CD;
  if (truncated) flags |= FLAG.TC;
  out.writeUInt16BE(query.id, 0);
  out.writeUInt16BE(flags, 2);
  out.writeUInt16BE(1, 4);
  sections.forEach((s, i) => out.writeUInt16BE(truncated ? 0 : (s?.count ?? 0), 6 + 2 * i));
  if (opt) out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  request.copy(out, HEADER_BYTES, HEADER_BYTES, query.questionEnd);
  let at = query.questionEnd;
  if (!truncated) {
    for (const s of sections) {
      if (!s) continue;
      s.data.copy(out, at);
      at += s.data.length;
    }
  }
  if (opt) writeOpt(out, at, query, reply.rcode);
  return out;
}

/** errorResponse is a bare header answering a query that could not be parsed: never larger than the query. */
export function errorResponse(id: number, rd: boolean, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(FLAG.QR | FLAG.RA | (rd ? FLAG.RD : 0) | (rcode & 0xf), 2);
  return out;
}
