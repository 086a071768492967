/**
 * A test server, run inside a network namespace: `echo-server NAME TCP_PORT UDP_PORT`. Over TCP
 * it answers each connection with "NAME <peer address>\n" and closes; over UDP it answers each
 * datagram with "NAME <peer address>". Prints "listening" once both are bound.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

const [name = 'server', tcpPort = '8080', udpPort = '5353'] = process.argv.slice(2);
let bound = 0;
const ready = () => {
  if (++bound === 2) process.stdout.write('listening\n');
};
createServer((socket) => socket.end(`${name} ${socket.remoteAddress ?? '?'}\n`)).listen(Number(tcpPort), '0.0.0.0', ready);
const udp = createSocket('udp4');
udp.on('message', (_msg, peer) => udp.send(`${name} ${peer.address}`, peer.port, peer.address));
udp.bind(Number(udpPort), '0.0.0.0', ready);
