import { expect } from 'chai';
import { describeObject } from '../../../cli/printers/describe.js';
import { describeProbe } from '../../../cli/printers/probes.js';
import type { Event } from '../../../proto/objects/cluster.js';
import type { Pod } from '../../../proto/objects/pod.js';

describe('describe: probes', () => {
  it('shows each kind of probe as kubectl does, defaults filled in', () => {
    expect(describeProbe({ httpGet: { port: 8080, path: '/healthz' } })).to.equal('http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3');
    expect(describeProbe({ httpGet: { port: 'web', host: '10.0.0.5', scheme: 'HTTPS' }, initialDelaySeconds: 5, periodSeconds: 2, timeoutSeconds: 3, successThreshold: 2, failureThreshold: 6 })).to.equal(
      'http-get https://10.0.0.5:web/ delay=5s timeout=3s period=2s #success=2 #failure=6',
    );
    expect(describeProbe({ exec: { command: ['cat', '/tmp/ready'] } })).to.equal('exec [cat /tmp/ready] delay=0s timeout=1s period=10s #success=1 #failure=3');
    expect(describeProbe({ tcpSocket: { port: 5432 } })).to.equal('tcp-socket :5432 delay=0s timeout=1s period=10s #success=1 #failure=3');
  });

  it("prints a pod's probes under its container, its readiness, and the Unhealthy events", () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'default', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { nodeName: 'node-1', containers: [{ name: 'web', image: 'busybox', readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 }, livenessProbe: { tcpSocket: { port: 80 } } }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [web]' }],
        containerStatuses: [{ name: 'web', ready: false, restartCount: 0, image: 'busybox', imageID: '', state: { running: { startedAt: '2026-01-01T00:00:01Z' } } }],
      },
    };
    const event = {
      apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'default', creationTimestamp: '2026-01-01T00:00:02Z' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1', fieldPath: 'spec.containers{web}' },
      type: 'Warning', reason: 'Unhealthy', message: "Readiness probe failed: cat: can't open '/tmp/ready': No such file or directory",
      count: 7, lastTimestamp: '2026-01-01T00:00:09Z', source: { component: 'berth-agent' },
    } as Event;
    const lines = describeObject(pod, [event], Date.parse('2026-01-01T00:00:10Z')).split('\n');
    expect(lines).to.include('   Liveness:            tcp-socket :80 delay=0s timeout=1s period=10s #success=1 #failure=3');
    expect(lines).to.include('   Readiness:           exec [cat /tmp/ready] delay=0s timeout=1s period=1s #success=1 #failure=3');
    expect(lines).to.include('   Ready:               False');
    expect(lines.some((l) => /^ {2}Warning\s+Unhealthy\s+1s\s+berth-agent\s+Readiness probe failed: cat: can't open/.test(l))).to.equal(true);
  });
});
