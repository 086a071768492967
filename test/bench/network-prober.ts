/**
 * The network benchmark's prober: run inside a client pod's network namespace, it opens a new
 * TCP connection to ADDRESS:PORT every --every-ms and asks `GET /name` (the httpd pods answer
 * their own name), at most --in-flight at a time. For each it prints one line:
 *
 *   <start ms> <end ms> <pod name | ERR:<code>>
 *
 * (epoch ms, this machine's clock). It stops by itself after --seconds, or when its stdin closes.
 *
 *   node dist/test/bench/network-prober.js --target 10.96.0.10:80 [--every-ms 10] [--seconds 300]
 *
 * With --pairs N and two --target, it instead makes 2N requests one at a time, alternating the
 * targets (and which goes first), so both see the same background load; each line then ends
 * with the target's index (0 or 1), and it exits when done.
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    target: { type: 'string', multiple: true },
    pairs: { type: 'string' },
    'every-ms': { type: 'string', default: '10' },
    'in-flight': { type: 'string', default: '8' },
    'timeout-ms': { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '300' },
  },
});
const targets = (values.target ?? []).map((t) => {
  const [host, portText] = t.split(':');
  const port = Number(portText);
  if (!host || !Number.isInteger(port)) throw new Error(`--target takes ADDRESS:PORT (got "${t}")`);
  return { host, port };
});
if (targets.length !== (values.pairs === undefined ? 1 : 2)) throw new Error('give one --target, or two with --pairs');
const EVERY_MS = Number(values['every-ms']);
const IN_FLIGHT = Number(values['in-flight']);
const TIMEOUT_MS = Number(values['timeout-ms']);

const now = (): number => performance.timeOrigin + performance.now();
let inFlight = 0;

function probe(target: number, done?: () => void): void {
  inFlight++;
  const start = now();
  let body = '';
  let settled = false;
  const finish = (result: string): void => {
    if (settled) return;
    settled = true;
    inFlight--;
    process.stdout.write(`${start.toFixed(3)} ${now().toFixed(3)} ${result}${values.pairs === undefined ? '' : ` ${target}`}\n`);
    done?.();
  };
  const socket = connect(targets[target]!);
  socket.setTimeout(TIMEOUT_MS, () => {
    finish('ERR:TIMEOUT');
    socket.destroy();
  });
  socket.on('connect', () => socket.end('GET /name HTTP/1.0\r\n\r\n'));
  socket.on('data', (d: Buffer) => (body += d.toString()));
  socket.on('error', (err: NodeJS.ErrnoException) => finish(`ERR:${err.code ?? 'ERROR'}`));
  socket.on('close', () => {
    const name = body.split('\r\n\r\n')[1]?.trim();
    finish(body.startsWith('HTTP/1.') && body.split(' ')[1] === '200' && name ? name : 'ERR:BADREPLY');
  });
}

const one = (target: number) => new Promise<void>((resolve) => probe(target, resolve));
if (values.pairs !== undefined) {
  for (let i = 0; i < Number(values.pairs); i++) {
    const first = i % 2;
    await one(first);
    await one(1 - first);
  }
  process.exit(0);
}
const ticker = setInterval(() => {
  if (inFlight < IN_FLIGHT) probe(0);
}, EVERY_MS);
const stop = (): void => {
  clearInterval(ticker);
  // Let the connections in flight finish and print (each is bounded by the timeout).
  setTimeout(() => process.exit(0), TIMEOUT_MS + 100).unref();
};
setTimeout(stop, Number(values.seconds) * 1000).unref();
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
