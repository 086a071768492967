import { expect } from 'chai';
import { queuedConnections } from '../../../node-agent/network/accept-queues.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

describe('accept queues from /proc/net/tcp', () => {
  it('sums rx_queue over listening sockets only', () => {
    const table = [
      HEADER,
      '   0: 00000000:1F90 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 1204 1 0 100 0 0 10 0',
      '   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1205 1 0 100 0 0 10 0',
      // An established connection with unread bytes is not a queued connection.
      '   2: 0100007F:1F90 0100007F:D2F0 01 00000000:0000001C 00:00000000 00000000     0        0 1206 1 0 20 4 30 10 -1',
      '   3: 00000000:0051 00000000:0000 0A 00000000:0000000A 00:00000000 00000000     0        0 1207 1 0 100 0 0 10 0',
    ].join('\n');
    expect(queuedConnections(table)).to.equal(12);
  });

  it('reads an empty or unreadable table as nothing queued', () => {
    expect(queuedConnections('')).to.equal(0);
    expect(queuedConnections(HEADER)).to.equal(0);
  });
});
