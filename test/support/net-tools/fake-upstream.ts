/**
 * A fake upstream resolver for tests, run inside a network namespace: `fake-upstream ADDRESS`
 * serves DNS on ADDRESS:53 over UDP and TCP. Names under example.test:
 * - big.example.test: 100 A records (over UDP beyond the client's size: truncated, TC);
 * - slow.example.test: never answered;
 * - nothing.example.test and anything unknown: NXDOMAIN;
 * - any other name: one A record, 192.0.2.1.
 * Prints "listening" once both sockets are bound.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

const [address = '127.0.0.1'] = process.argv.slice(2);

function qnameEnd(msg: Buffer): number {
  let at = 12;
  while (at < msg.length && msg[at] !== 0) at += (msg[at] ?? 0) + 1;
  return at + 1;
}

function answer(msg: Buffer, limit: number): Buffer | undefined {
  const end = qnameEnd(msg);
  const labels: string[] = [];
  for (let at = 12; at < end - 1; at += (msg[at] ?? 0) + 1) labels.push(msg.toString('latin1', at + 1, at + 1 + (msg[at] ?? 0)).toLowerCase());
  const name = labels.join('.');
  if (name === 'slow.example.test') return undefined;
  const question = msg.subarray(12, end + 4);
  const header = Buffer.alloc(12);
  msg.copy(header, 0, 0, 2);
  header.writeUInt16BE(1, 4);
  const a = (ip: number) => {
    const r = Buffer.alloc(16);
    r.writeUInt16BE(0xc00c, 0);
    r.writeUInt16BE(1, 2);
    r.writeUInt16BE(1, 4);
    r.writeUInt32BE(60, 6);
    r.writeUInt16BE(4, 10);
    r.writeUInt32BE(ip, 12);
    return r;
  };
  let records: Buffer[] = [];
  let rcode = 0;
  if (name === 'big.example.test') records = Array.from({ length: 100 }, (_, i) => a(0xc0000200 + i));
  else if (name === 'nothing.example.test' || !name.endsWith('example.test')) rcode = 3;
  else records = [a(0xc0000201)];
  let flags = 0x8180 | rcode;
  if (12 + question.length + records.length * 16 > limit) {
    flags |= 0x0200;
    records = [];
  }
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(records.length, 6);
  return Buffer.concat([header, question, ...records]);
}

let bound = 0;
const ready = () => {
  if (++bound === 2) process.stdout.write('listening\n');
};
const udp = createSocket('udp4');
udp.on('message', (msg, peer) => {
  const out = answer(msg, 512);
  if (out) udp.send(out, peer.port, peer.address);
});
udp.bind(53, address, ready);
createServer((socket) => {
  let got = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    got = Buffer.concat([got, chunk]);
    while (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
      const out = answer(got.subarray(2, 2 + got.readUInt16BE(0)), 65_535);
      got = got.subarray(2 + got.readUInt16BE(0));
      if (!out) continue;
      const len = Buffer.alloc(2);
      len.writeUInt16BE(out.length, 0);
      socket.write(Buffer.concat([len, out]));
    }
  });
  socket.on('error', () => undefined);
}).listen(53, address, ready);
