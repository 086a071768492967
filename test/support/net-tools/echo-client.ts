/**
 * A test client, run inside a network namespace: `echo-client tcp|udp HOST PORT COUNT [LOCAL_PORT]`.
 * Makes COUNT connections (or sends COUNT datagrams, each from a new socket, from LOCAL_PORT when
 * given: the same UDP flow each time) one after another and
 * prints one line per attempt: the answer, or "error <code>" (ECONNREFUSED, TIMEOUT…). Each
 * attempt gives up after 2 s.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

const [proto = 'tcp', host = '127.0.0.1', port = '80', count = '1', localPort] = process.argv.slice(2);

function tcp(): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const socket = connect({ host, port: Number(port) });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('error TIMEOUT');
    }, 2_000);
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(data.trim());
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(`error ${err.code ?? err.message}`);
    });
  });
}

function udp(): Promise<string> {
  return new Promise((resolve) => {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    const finish = (line: string) => {
      clearTimeout(timer);
      socket.close();
      resolve(line);
    };
    const timer = setTimeout(() => finish('error TIMEOUT'), 2_000);
    socket.on('message', (msg) => finish(msg.toString()));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(`error ${err.code ?? err.message}`));
    // Connected, so an ICMP port unreachable (a rejected datagram) comes back as ECONNREFUSED.
    const start = () => socket.connect(Number(port), host, () => socket.send('ping'));
    if (localPort) socket.bind(Number(localPort), start);
    else start();
  });
}

for (let i = 0; i < Number(count); i++) process.stdout.write(`${await (proto === 'udp' ? udp() : tcp())}\n`);
