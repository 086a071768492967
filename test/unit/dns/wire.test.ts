import { expect } from 'chai';
import { errorResponse } from '../../../node-agent/dns/response.js';
import { HEADER_BYTES, parseQuery, RCODE, TYPE, type ParseOutcome } from '../../../node-agent/dns/wire.js';
import { encodeQuery } from '../../support/dns-client.js';

function queryOf(outcome: ParseOutcome) {
  if (outcome.kind !== 'query') throw new Error(`expected a query, got ${JSON.stringify(outcome)}`);
  return outcome.query;
}

/** A valid query with some bytes of it changed. */
function patched(base: Buffer, changes: Record<number, number>): Buffer {
  const out = Buffer.from(base);
  for (const [at, value] of Object.entries(changes)) out[Number(at)] = value;
  return out;
}

describe('DNS wire format: parsing queries', () => {
  it('reads a standard query: id, recursion desired, the name in lower case, type, class and where the question ends', () => {
    const msg = encodeQuery('Web.Default.SVC.cluster.local', TYPE.A, { id: 0xbeef });
    const q = queryOf(parseQuery(msg));
    expect(q).to.deep.include({ id: 0xbeef, rd: true, name: 'web.default.svc.cluster.local', qtype: TYPE.A, qclass: 1, questionEnd: msg.length });
    expect(q.edns).to.equal(undefined);
  });

  it('reads the EDNS OPT record: UDP size, version and the DNSSEC OK bit', () => {
    const q = queryOf(parseQuery(encodeQuery('example.com', TYPE.AAAA, { edns: 4096 })));
    expect(q.edns).to.deep.equal({ udpSize: 4096, version: 0, dnssecOk: false });
    expect(q.questionEnd).to.equal(HEADER_BYTES + 13 + 4);
  });

  it('reads the root name and escapes label bytes that would be ambiguous in dotted form', () => {
    expect(queryOf(parseQuery(encodeQuery('', TYPE.NS))).name).to.equal('');
    const dotted = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([3, 0x61, 0x2e, 0x62, 0, 0, 1, 0, 1])]);
    expect(queryOf(parseQuery(dotted)).name).to.equal('a\\046b');
  });

  it('drops what is not a query: shorter than a header, or a response (never answered, so two servers cannot loop)', () => {
    expect(parseQuery(Buffer.alloc(11)).kind).to.equal('drop');
    expect(parseQuery(patched(encodeQuery('a.b', TYPE.A), { 2: 0x81 })).kind).to.equal('drop');
  });

  it('answers other opcodes with NOTIMP and malformed queries with FORMERR', () => {
    const base = encodeQuery('web.default.svc.cluster.local', TYPE.A);
    const rcodeOf = (m: Buffer) => {
      const o = parseQuery(m);
      return o.kind === 'error' ? o.rcode : o.kind;
    };
    expect(rcodeOf(patched(base, { 2: 0x28 }))).to.equal(RCODE.NOTIMP); // UPDATE
    expect(rcodeOf(patched(base, { 5: 0 }))).to.equal(RCODE.FORMERR); // no question
    expect(rcodeOf(patched(base, { 5: 2 }))).to.equal(RCODE.FORMERR); // two questions
    expect(rcodeOf(patched(base, { 7: 1 }))).to.equal(RCODE.FORMERR); // an answer record in a query
    expect(rcodeOf(patched(base, { 11: 1 }))).to.equal(RCODE.FORMERR); // an additional record that is not there
    expect(rcodeOf(patched(base, { 12: 0xc0, 13: 12 }))).to.equal(RCODE.FORMERR); // a compression pointer (to itself)
    expect(rcodeOf(patched(base, { 12: 64 }))).to.equal(RCODE.FORMERR); // an extended label type
    expect(rcodeOf(base.subarray(0, base.length - 2))).to.equal(RCODE.FORMERR); // cut short
    expect(rcodeOf(Buffer.concat([base, Buffer.from([0])]))).to.equal(RCODE.FORMERR); // trailing byte
    const opt = encodeQuery('a.b', TYPE.A, { edns: 1232 });
    expect(rcodeOf(patched(opt, { [opt.length - 9]: 0 }))).to.equal(RCODE.FORMERR); // additional record of type 0, not OPT
    const long = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)])), Buffer.from([0, 0, 1, 0, 1])]);
    expect(rcodeOf(long)).to.equal(RCODE.FORMERR); // a name over 255 bytes
  });

  it('never throws, and an error answer is never larger than what came in, whatever the bytes', () => {
    const base = encodeQuery('web.default.svc.cluster.local', TYPE.SRV, { edns: 1232 });
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 20_000; i++) {
      let msg: Buffer;
      if (i % 2 === 0) {
        msg = Buffer.alloc(random() % 80);
        for (let j = 0; j < msg.length; j++) msg[j] = random() & 0xff;
      } else {
        msg = Buffer.from(base.subarray(0, random() % (base.length + 1)));
        for (let j = 0; j < 3 && msg.length > 0; j++) msg[random() % msg.length] = random() & 0xff;
      }
      const outcome = parseQuery(msg);
      if (outcome.kind === 'error') expect(errorResponse(outcome.id, outcome.rd, outcome.rcode).length).to.be.at.most(msg.length);
    }
  });
});
