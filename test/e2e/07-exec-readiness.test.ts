import { expect } from 'chai';
import type { Deployment } from '../../proto/objects/apps.js';
import type { Pod } from '../../proto/objects/pod.js';
import { berth } from '../support/cli.js';
import { apply, deployment, getJson, isRunning, pods, run, SLEEP, useSharedCluster, waitFor } from '../support/e2e-cluster.js';
import type { LocalClusterHandle } from '../support/local-cluster.js';

/** A Deployment whose one container is ready only while /tmp/ready exists in it. */
const GATED = `${deployment('gated', 1, SLEEP)}        readinessProbe:
          exec:
            command: ["cat", "/tmp/ready"]
          periodSeconds: 1
          failureThreshold: 1
`;

const readyCondition = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status;

describe('e2e: berth exec and readiness probes', function () {
  this.timeout(120_000);
  let cluster: LocalClusterHandle;

  useSharedCluster((c) => (cluster = c), (c) => run(c, ['delete', 'deployment', 'shell', 'gated', '--ignore-not-found']));

  async function onlyPod(app: string, check: (p: Pod) => void): Promise<Pod> {
    return waitFor(async () => {
      const items = await pods(cluster, `app=${app}`);
      expect(items).to.have.length(1);
      check(items[0]!);
      return items[0]!;
    }, 60_000);
  }

  /** The real CLI, as a user runs it; unlike run() a failure is an answer, not an error. */
  const exec = (args: string[], input?: string) => berth(cluster.server, ['exec', ...args], input, cluster.env);

  it("returns the command's output and exit code, passes stdin with -i, and refuses an unknown container", async () => {
    await apply(cluster, deployment('shell', 1, SLEEP));
    const shell = await onlyPod('shell', (p) => expect(isRunning(p)).to.equal(true));
    const name = shell.metadata.name;
    expect(await exec([name, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'])).to.deep.equal({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(await exec([name, '--', 'hostname'])).to.deep.equal({ code: 0, stdout: `${name}\n`, stderr: '' });
    expect(await exec(['-i', `pod/${name}`, '--', 'tr', 'a-z', 'A-Z'], 'through stdin\n')).to.deep.include({ code: 0, stdout: 'THROUGH STDIN\n' });
    const wrong = await exec([name, '-c', 'nope', '--', 'true']);
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.contain(`container nope is not valid for pod ${name}: choose one of main`);
  });

  it('keeps a pod whose readiness probe fails unready, makes it Ready when the probe passes, and shows why in describe', async () => {
    await apply(cluster, GATED);
    const gated = await onlyPod('gated', (p) => {
      expect(isRunning(p)).to.equal(true);
      expect(p.status?.containerStatuses?.[0]?.ready).to.equal(false);
      expect(readyCondition(p)).to.equal('False');
    });
    const name = gated.metadata.name;
    expect((await run(cluster, ['get', 'pods', name])).stdout).to.match(new RegExp(`^${name}\\s+0/1\\s+Running`, 'm'));
    const described = await waitFor(async () => {
      const out = (await run(cluster, ['describe', 'pod', name])).stdout;
      expect(out).to.contain('Readiness probe failed');
      return out;
    });
    expect(described).to.match(/Readiness:\s+exec \[cat \/tmp\/ready\] delay=0s timeout=1s period=1s #success=1 #failure=1/);
    expect(described).to.match(/Warning\s+Unhealthy\s+.*Readiness probe failed: cat: can't open '\/tmp\/ready': No such file or directory/);

    expect((await exec([name, '--', 'touch', '/tmp/ready'])).code).to.equal(0);
    await onlyPod('gated', (p) => {
      expect(p.status?.containerStatuses?.[0]?.ready).to.equal(true);
      expect(readyCondition(p)).to.equal('True');
    });
    await waitFor(async () => expect((await getJson<Deployment>(cluster, ['deployment', 'gated'])).status?.readyReplicas).to.equal(1));

    expect((await exec([name, '--', 'rm', '/tmp/ready'])).code).to.equal(0);
    await onlyPod('gated', (p) => expect(readyCondition(p)).to.equal('False'));
    expect((await onlyPod('gated', () => undefined)).status?.containerStatuses?.[0]?.restartCount, 'readiness never restarts a container').to.equal(0);
  });
});
