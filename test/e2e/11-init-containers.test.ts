import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../../proto/objects/pod.js';
import { berth } from '../support/cli.js';
import { apply, nodeOf, pod, run, useSharedCluster, waitFor } from '../support/e2e-cluster.js';
import { restartAgent, type LocalClusterHandle } from '../support/local-cluster.js';

/**
 * Two init containers, then the app container. `first` writes into the pod's /dev/shm; `hold`
 * appends and then waits until the test creates /dev/shm/go (through `exec -c hold`): until
 * then the app container must not have started.
 */
const ORDERED = `apiVersion: v1
kind: Pod
metadata:
  name: init-order
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: first
    image: busybox:1.35
    command: ["sh", "-c", "echo first >> /dev/shm/order; echo first done"]
  - name: hold
    image: busybox:1.35
    command: ["sh", "-c", "echo hold >> /dev/shm/order; until [ -f /dev/shm/go ]; do sleep 0.1; done"]
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", "echo main >> /dev/shm/order; cat /dev/shm/order; exec sleep 1000000"]
`;

function failing(name: string, restartPolicy: 'Never' | 'Always'): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: ${restartPolicy}
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: check
    image: busybox:1.35
    command: ["sh", "-c", "echo dependency missing; exit 3"]
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", "echo main started; exec sleep 1000000"]
`;
}

/** Two app containers: `b` answers a file `a` leaves in /dev/shm; both print their IPC namespace. */
const SHARED = `apiVersion: v1
kind: Pod
metadata:
  name: shared-ipc
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: a
    image: busybox:1.35
    command: ["sh", "-c", "readlink /proc/self/ns/ipc; touch /dev/mqueue/queue-of-a; echo from-a > /dev/shm/a; exec sleep 1000000"]
  - name: b
    image: busybox:1.35
    command: ["sh", "-c", "readlink /proc/self/ns/ipc; until [ -f /dev/shm/a ]; do sleep 0.1; done; echo seen $(cat /dev/shm/a) > /dev/shm/b; exec sleep 1000000"]
`;

const DONE = `apiVersion: v1
kind: Pod
metadata:
  name: both-done
spec:
  restartPolicy: Never
  containers:
  - name: one
    image: busybox:1.35
    command: ["echo", "one"]
  - name: two
    image: busybox:1.35
    command: ["echo", "two"]
`;

/** A sidecar (init container with restartPolicy Always) beside a job-like main container. */
const SIDECAR = `apiVersion: v1
kind: Pod
metadata:
  name: with-sidecar
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: helper
    image: busybox:1.35
    restartPolicy: Always
    command: ["sh", "-c", "echo helper up > /dev/shm/helper; exec sleep 1000000"]
  - name: check
    image: busybox:1.35
    command: ["sh", "-c", "cat /dev/shm/helper"]
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", "until [ -f /dev/shm/finish ]; do sleep 0.1; done; echo main done"]
`;

const NAMES = ['init-order', 'init-fail-never', 'init-fail-always', 'shared-ipc', 'both-done', 'with-sidecar'];

/** The pod's row of `berth get pod NAME`: NAME READY STATUS RESTARTS AGE. */
async function row(cluster: LocalClusterHandle, name: string): Promise<{ ready: string; status: string; restarts: number }> {
  const lines = (await run(cluster, ['get', 'pod', name])).stdout.trim().split('\n');
  const [, ready = '', status = '', restarts = ''] = (lines[1] ?? '').split(/\s+/);
  return { ready, status, restarts: Number(restarts) };
}

function status(p: Pod, name: string) {
  return [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].find((s) => s.name === name);
}

describe('e2e: init containers and multi-container pods', function () {
  this.timeout(180_000);
  let cluster: LocalClusterHandle;

  useSharedCluster((c) => (cluster = c), (c) => run(c, ['delete', 'pod', ...NAMES, '--ignore-not-found']));

  it('runs init containers in order, each to completion, before the app container; exec -c and logs -c reach them', async () => {
    await apply(cluster, ORDERED);
    await waitFor(async () => {
      const p = await pod(cluster, 'init-order');
      expect(status(p, 'hold')?.state?.running).to.not.equal(undefined);
      return p;
    }, 60_000);
    expect(await row(cluster, 'init-order')).to.deep.equal({ ready: '0/1', status: 'Init:1/2', restarts: 0 });
    // While `hold` runs, the app container has not started: it waits, and nothing of it is written.
    const holding = await pod(cluster, 'init-order');
    expect(status(holding, 'main')?.state?.waiting?.reason).to.equal('PodInitializing');
    expect(status(holding, 'first')?.state?.terminated?.reason).to.equal('Completed');
    expect((await run(cluster, ['exec', 'init-order', '-c', 'hold', '--', 'cat', '/dev/shm/order'])).stdout).to.equal('first\nhold\n');
    expect((await run(cluster, ['logs', 'init-order', '-c', 'first'])).stdout).to.equal('first done\n');

    await run(cluster, ['exec', 'init-order', '-c', 'hold', '--', 'touch', '/dev/shm/go']);
    const started = await waitFor(async () => {
      const p = await pod(cluster, 'init-order');
      expect(p.status?.phase).to.equal('Running');
      expect(status(p, 'main')?.ready).to.equal(true);
      return p;
    }, 60_000);
    expect(started.status?.conditions?.find((c) => c.type === 'Initialized')?.status).to.equal('True');
    expect(started.status?.initContainerStatuses?.map((s) => [s.name, s.state?.terminated?.reason, s.ready])).to.deep.equal([
      ['first', 'Completed', true],
      ['hold', 'Completed', true],
    ]);
    const holdFinished = Date.parse(status(started, 'hold')?.state?.terminated?.finishedAt ?? '');
    expect(Date.parse(status(started, 'main')?.state?.running?.startedAt ?? '')).to.be.at.least(holdFinished - 1_000);
    expect(await row(cluster, 'init-order')).to.deep.equal({ ready: '1/1', status: 'Running', restarts: 0 });

    const logs = await waitFor(async () => {
      const out = await run(cluster, ['logs', 'init-order']);
      expect(out.stdout).to.equal('first\nhold\nmain\n');
      return out;
    });
    expect(logs.stderr).to.equal('Defaulted container "main" out of: main, first (init), hold (init)\n');
    const described = (await run(cluster, ['describe', 'pod', 'init-order'])).stdout;
    expect(described).to.match(/Init Containers:\n {2}first:\n[\s\S]*Reason: +Completed[\s\S]*\n {2}hold:\n[\s\S]*Containers:\n {2}main:/);

    // A restarted agent adopts the pod: its init containers do not run again, its /dev/shm stays.
    await restartAgent(cluster, nodeOf(cluster, started).name);
    await waitFor(async () => {
      const p = await pod(cluster, 'init-order');
      expect(p.status?.phase).to.equal('Running');
      expect(status(p, 'main')?.ready).to.equal(true);
      expect((await run(cluster, ['exec', 'init-order', '--', 'cat', '/dev/shm/order'])).stdout).to.equal('first\nhold\nmain\n');
    }, 60_000);
    const after = await pod(cluster, 'init-order');
    expect([...(after.status?.initContainerStatuses ?? []), ...(after.status?.containerStatuses ?? [])].map((s) => [s.name, s.restartCount, s.containerID])).to.deep.equal(
      [...(started.status?.initContainerStatuses ?? []), ...(started.status?.containerStatuses ?? [])].map((s) => [s.name, s.restartCount, s.containerID]),
    );
  });

  it('a failing init container under restartPolicy Never fails the pod in Init:Error; the app container never starts', async () => {
    await apply(cluster, failing('init-fail-never', 'Never'));
    const failed = await waitFor(async () => {
      const p = await pod(cluster, 'init-fail-never');
      expect(p.status?.phase).to.equal('Failed');
      return p;
    }, 60_000);
    expect(status(failed, 'check')?.state?.terminated).to.include({ exitCode: 3, reason: 'Error' });
    expect(status(failed, 'main')?.state?.waiting?.reason).to.equal('PodInitializing');
    expect(status(failed, 'main')?.containerID).to.equal(undefined);
    expect(await row(cluster, 'init-fail-never')).to.deep.equal({ ready: '0/1', status: 'Init:Error', restarts: 0 });
    expect((await run(cluster, ['logs', 'init-fail-never', '-c', 'check'])).stdout).to.equal('dependency missing\n');
    const mainLogs = await berth(cluster.server, ['logs', 'init-fail-never', '-c', 'main'], undefined, cluster.env);
    expect(mainLogs.code).to.not.equal(0);
    expect(mainLogs.stderr).to.include('container "main" in pod "init-fail-never" is waiting to start: PodInitializing');
  });

  it('a failing init container under restartPolicy Always is retried with back-off: Init:CrashLoopBackOff, and the app container never starts', async () => {
    await apply(cluster, failing('init-fail-always', 'Always'));
    await waitFor(async () => {
      expect(await row(cluster, 'init-fail-always')).to.include({ ready: '0/1', status: 'Init:CrashLoopBackOff' });
      const p = await pod(cluster, 'init-fail-always');
      expect(status(p, 'check')?.restartCount).to.be.at.least(2);
    }, 60_000);
    const p = await pod(cluster, 'init-fail-always');
    expect(p.status?.phase).to.equal('Pending');
    expect(status(p, 'main')?.containerID).to.equal(undefined);
    expect(p.status?.conditions?.find((c) => c.type === 'Initialized')).to.include({ status: 'False', reason: 'ContainersNotInitialized' });
  });

  it('the containers of a pod share its IPC namespace and /dev/shm, and nothing of them is left once it is deleted', async () => {
    await apply(cluster, SHARED);
    const running = await waitFor(async () => {
      const p = await pod(cluster, 'shared-ipc');
      expect(p.status?.phase).to.equal('Running');
      expect((await run(cluster, ['exec', 'shared-ipc', '-c', 'a', '--', 'cat', '/dev/shm/b'])).stdout).to.equal('seen from-a\n');
      return p;
    }, 60_000);
    const [nsA, nsB] = await Promise.all(['a', 'b'].map(async (c) => (await run(cluster, ['logs', 'shared-ipc', '-c', c])).stdout.split('\n')[0]));
    expect(nsA).to.match(/^ipc:\[\d+\]$/);
    expect(nsB).to.equal(nsA);
    // A POSIX message queue `a` made is one `b` sees: the IPC objects themselves are shared.
    expect((await run(cluster, ['exec', 'shared-ipc', '-c', 'b', '--', 'ls', '/dev/mqueue'])).stdout).to.equal('queue-of-a\n');
    const other = (await run(cluster, ['exec', 'init-order', '--', 'readlink', '/proc/self/ns/ipc'])).stdout.trim();
    expect(other).to.match(/^ipc:\[\d+\]$/);
    expect(other).to.not.equal(nsA);
    const sandbox = join(nodeOf(cluster, running).root, 'ipc', running.metadata.uid ?? '');
    expect(existsSync(sandbox)).to.equal(true);
    await run(cluster, ['delete', 'pod', 'shared-ipc']);
    await waitFor(() => expect(existsSync(sandbox)).to.equal(false), 30_000);
  });

  it('a pod whose containers all exit 0 under restartPolicy Never is Succeeded, each container Completed', async () => {
    await apply(cluster, DONE);
    const done = await waitFor(async () => {
      const p = await pod(cluster, 'both-done');
      expect(p.status?.phase).to.equal('Succeeded');
      return p;
    }, 60_000);
    expect(done.status?.containerStatuses?.map((s) => [s.name, s.state?.terminated?.reason, s.state?.terminated?.exitCode])).to.deep.equal([
      ['one', 'Completed', 0],
      ['two', 'Completed', 0],
    ]);
    expect(await row(cluster, 'both-done')).to.deep.equal({ ready: '0/2', status: 'Completed', restarts: 0 });
    expect((await run(cluster, ['logs', 'both-done', '-c', 'two'])).stdout).to.equal('two\n');
  });

  it('a sidecar starts before the next init container, runs beside the app container, and is stopped once it has finished', async () => {
    await apply(cluster, SIDECAR);
    await waitFor(async () => expect(await row(cluster, 'with-sidecar')).to.deep.equal({ ready: '2/2', status: 'Running', restarts: 0 }), 60_000);
    expect((await run(cluster, ['logs', 'with-sidecar', '-c', 'check'])).stdout).to.equal('helper up\n');
    await run(cluster, ['exec', 'with-sidecar', '-c', 'helper', '--', 'touch', '/dev/shm/finish']);
    const done = await waitFor(async () => {
      const p = await pod(cluster, 'with-sidecar');
      expect(p.status?.phase).to.equal('Succeeded');
      return p;
    }, 60_000);
    expect(status(done, 'main')?.state?.terminated?.reason).to.equal('Completed');
    expect(status(done, 'helper')?.state?.terminated).to.not.equal(undefined);
    expect(await row(cluster, 'with-sidecar')).to.deep.equal({ ready: '0/2', status: 'Completed', restarts: 0 });
  });
});
