import { expect } from 'chai';
import type { Pod } from '../../proto/objects/pod.js';
import { berth } from '../support/cli.js';
import { apply, isRunning, pod, run, useSharedCluster, waitFor } from '../support/e2e-cluster.js';
import type { LocalClusterHandle } from '../support/local-cluster.js';
import { finish, startCli } from '../support/rollout-e2e.js';

const PODS = ['liveness', 'slow-start', 'hooks', 'stubborn'];

/** A busybox pod running `script` with sh, which exits at once on SIGTERM unless the script says otherwise; `extra` is more of the container's YAML. */
function shPod(name: string, script: string, grace: number, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
    role: lifecycle
spec:
  terminationGracePeriodSeconds: ${grace}
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", ${JSON.stringify(script)}]
${extra}`;
}

describe('e2e: liveness and startup probes, preStop hooks, termination at the grace period', function () {
  this.timeout(90_000);
  let cluster: LocalClusterHandle;

  useSharedCluster((c) => (cluster = c), async (c) => {
    await run(c, ['delete', 'pod', ...PODS, '--ignore-not-found']);
    await waitFor(async () => {
      for (const name of PODS) expect((await berth(c.server, ['get', 'pod', name], undefined, c.env)).code, name).to.not.equal(0);
    }, 60_000);
  });

  /** Waits until a pod no longer exists (`berth get` says NotFound). */
  async function gone(name: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(async () => {
      const r = await berth(cluster.server, ['get', 'pod', name], undefined, cluster.env);
      expect(r.code, r.stdout).to.not.equal(0);
      expect(r.stderr).to.match(/not found/i);
    }, timeoutMs);
  }

  it('a liveness failure restarts the container: restart count, last state, and the reason in describe and events', async () => {
    // Alive for 2 s, then /tmp/alive goes and the probe fails.
    await apply(cluster, shPod('liveness', 'trap "exit 0" TERM; touch /tmp/alive; sleep 2; rm /tmp/alive; sleep 1000000 & wait', 2, `    livenessProbe:
      exec:
        command: ["test", "-e", "/tmp/alive"]
      periodSeconds: 1
      failureThreshold: 1
`));
    const restarted = await waitFor(async () => {
      const p = await pod(cluster, 'liveness');
      const status = p.status?.containerStatuses?.[0];
      expect(status?.restartCount ?? 0, JSON.stringify(status)).to.be.at.least(1);
      expect(status?.lastState?.terminated, JSON.stringify(status)).to.not.equal(undefined);
      return p;
    }, 60_000);
    expect(restarted.status?.phase).to.equal('Running');
    const describe = (await run(cluster, ['describe', 'pod', 'liveness'])).stdout;
    expect(describe).to.match(/Restart Count:\s+[1-9]/);
    expect(describe).to.match(/Last State:\s+Terminated/);
    expect(describe).to.match(/liveness probe/i);
    const events = JSON.parse((await run(cluster, ['get', 'events', '-o', 'json'])).stdout) as { items: Array<{ message?: string; involvedObject?: { name?: string } }> };
    const about = events.items.filter((e) => e.involvedObject?.name === 'liveness').map((e) => e.message ?? '');
    expect(about.some((m) => /liveness probe/i.test(m)), JSON.stringify(about)).to.equal(true);
  });

  it('a slow starter protected by a startup probe is never killed by liveness', async () => {
    // Liveness alone (failureThreshold 1) would kill it within a second of its start; it starts after 6 s.
    const probe = (kind: string, failures: number) => `    ${kind}:
      exec:
        command: ["test", "-e", "/tmp/started"]
      periodSeconds: 1
      failureThreshold: ${failures}
`;
    await apply(cluster, shPod('slow-start', 'trap "exit 0" TERM; sleep 6; touch /tmp/started; sleep 1000000 & wait', 2, probe('startupProbe', 30) + probe('livenessProbe', 1)));
    const restarts = (p: Pod) => p.status?.containerStatuses?.[0]?.restartCount ?? 0;
    await waitFor(async () => {
      const p = await pod(cluster, 'slow-start');
      expect(restarts(p), 'restarts while starting').to.equal(0);
      expect(p.status?.containerStatuses?.[0]?.started, 'started').to.equal(true);
      expect(isRunning(p)).to.equal(true);
    }, 60_000);
    // Liveness runs now, and passes.
    const end = Date.now() + 3_000;
    while (Date.now() < end) expect(restarts(await pod(cluster, 'slow-start')), 'restarts once started').to.equal(0);
  });

  it('a preStop hook runs before SIGTERM', async () => {
    // The hook and the SIGTERM trap each write a line to the container's log. The trap waits a
    // second before the exit: `logs -f` reads what the log gained since its last look only while
    // the container is still there, and a deleted pod's container goes right after its exit.
    await apply(cluster, shPod('hooks', 'trap "echo sigterm; sleep 1; exit 0" TERM; echo started; sleep 1000000 & wait', 10, `    lifecycle:
      preStop:
        exec:
          command: ["sh", "-c", "echo prestop > /proc/1/fd/1; sleep 1"]
`));
    await waitFor(async () => expect(isRunning(await pod(cluster, 'hooks'))).to.equal(true), 60_000);
    const logs = startCli(cluster, ['logs', '-f', 'hooks']);
    await waitFor(() => expect(logs.output()).to.contain('started'));
    const deleted = Date.now();
    await run(cluster, ['delete', 'pod', 'hooks']);
    await gone('hooks');
    const took = Date.now() - deleted;
    const lines = (await finish(logs, 5_000)).stdout.trim().split('\n');
    expect(lines, `the log of a pod gone ${took} ms after its delete (grace period 10 s)`).to.deep.equal(['started', 'prestop', 'sigterm']);
  });

  it('a process that ignores SIGTERM shows Terminating, and is killed at the grace period', async () => {
    await apply(cluster, shPod('stubborn', 'trap "" TERM; while true; do sleep 1; done', 3));
    await waitFor(async () => expect(isRunning(await pod(cluster, 'stubborn'))).to.equal(true), 60_000);
    const started = Date.now();
    const deletion = startCli(cluster, ['delete', 'pod', 'stubborn']);
    await waitFor(async () => expect((await run(cluster, ['get', 'pod', 'stubborn'])).stdout).to.match(/\bTerminating\b/), 10_000);
    await gone('stubborn', 30_000);
    const elapsed = Date.now() - started;
    expect((await finish(deletion, 10_000)).code).to.equal(0);
    // Generous bounds, in an e2e test only: not before the 3 s grace period, and not long after it.
    expect(elapsed).to.be.within(3_000, 3_000 + 8_000);
  });
});
