import { expect } from 'chai';
import { describeObject } from '../../../cli/printers/describe.js';
import type { Event } from '../../../proto/objects/cluster.js';
import type { Pod } from '../../../proto/objects/pod.js';

describe('describe: container states', () => {
  it('shows a restarted container\'s Last State with its reason and exit code, and the liveness events', () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'default', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'busybox', livenessProbe: { exec: { command: ['cat', '/tmp/alive'] } } }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 2,
            image: 'busybox',
            imageID: '',
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 500ms restarting failed container=app pod=web-1_default(u1)' } },
            lastState: { terminated: { exitCode: 137, reason: 'Error', startedAt: '2026-01-01T00:00:01Z', finishedAt: '2026-01-01T00:00:05Z' } },
          },
        ],
      },
    };
    const event = (reason: string, type: string, message: string): Event =>
      ({
        apiVersion: 'v1', kind: 'Event', metadata: { name: reason, namespace: 'default', creationTimestamp: '2026-01-01T00:00:04Z' },
        involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1', fieldPath: 'spec.containers{app}' },
        type, reason, message, count: 1, lastTimestamp: '2026-01-01T00:00:04Z', source: { component: 'berth-agent' },
      }) as Event;
    const text = describeObject(pod, [event('Unhealthy', 'Warning', "Liveness probe failed: cat: can't open '/tmp/alive'"), event('Killing', 'Normal', 'Container app failed liveness probe, will be restarted')], Date.parse('2026-01-01T00:00:10Z'));
    const lines = text.split('\n');
    expect(lines).to.include.members([
      '   State:               Waiting',
      '    Reason:             CrashLoopBackOff',
      '    Message:            back-off 500ms restarting failed container=app pod=web-1_default(u1)',
      '   Last State:          Terminated',
      '    Reason:             Error',
      '    Exit Code:          137',
      '    Started:            Thu, 01 Jan 2026 00:00:01 +0000',
      '    Finished:           Thu, 01 Jan 2026 00:00:05 +0000',
      '   Restart Count:       2',
    ]);
    expect(lines.some((l) => /^ {2}Warning\s+Unhealthy\s+6s\s+berth-agent\s+Liveness probe failed/.test(l))).to.equal(true);
    expect(lines.some((l) => /^ {2}Normal\s+Killing\s+6s\s+berth-agent\s+Container app failed liveness probe, will be restarted$/.test(l))).to.equal(true);
  });

  it('shows a running container\'s start time and no Last State before any restart', () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-2', namespace: 'default', uid: 'u2', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'busybox' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'busybox', imageID: '', state: { running: { startedAt: '2026-01-01T00:00:01Z' } }, lastState: {} }] },
    };
    const lines = describeObject(pod, [], Date.parse('2026-01-01T00:00:10Z')).split('\n');
    expect(lines).to.include.members(['   State:               Running', '    Started:            Thu, 01 Jan 2026 00:00:01 +0000']);
    expect(lines.some((l) => l.includes('Last State'))).to.equal(false);
  });
});
