import { expect } from 'chai';
import { stringify } from 'yaml';
import { berth } from '../../support/cli.js';
import type { RunResult } from '../../support/cli.js';
import { startTestControlPlane } from '../../support/control-plane.js';
import type { TestControlPlane } from '../../support/control-plane.js';
import { eventually } from '../../support/wait.js';

/*
 * The rollout commands against a real control plane and its controllers, without nodes: the
 * ReplicaSets (revisions) are real, the pods never become ready, so a rollout never finishes.
 */

function deployment(name: string, podSpec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, annotations: { 'kubernetes.io/change-cause': 'first version' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35', command: ['sleep', '3600'] }], ...podSpec } },
    },
  };
}

interface Live {
  metadata: { annotations?: Record<string, string> };
  spec: { paused?: boolean; template: { metadata?: { annotations?: Record<string, string> }; spec: { containers: { image: string; command?: string[] }[] } } };
}

describe('berth rollout and set image against a control plane', function () {
  this.timeout(60_000);
  let cp: TestControlPlane;
  const run = (...args: string[]): Promise<RunResult> => berth(cp.server, args);
  const live = async (name: string): Promise<Live> => JSON.parse((await run('get', 'deployment', name, '-o', 'json')).stdout) as Live;
  const revisionIs = (name: string, revision: string) =>
    eventually(async () => expect((await live(name)).metadata.annotations?.['deployment.kubernetes.io/revision']).to.equal(revision), 15_000, 100);

  before(async () => {
    cp = await startTestControlPlane();
  });
  after(async () => {
    await cp?.stop();
  });

  it('set image makes a new revision; history lists both; --revision shows a template', async () => {
    expect((await berth(cp.server, ['apply', '-f', '-'], stringify(deployment('web')))).code).to.equal(0);
    await revisionIs('web', '1');
    const set = await run('set', 'image', 'deployment/web', 'c=busybox:latest');
    expect(set.stdout).to.equal('deployment.apps/web image updated\n');
    await revisionIs('web', '2');
    const history = await run('rollout', 'history', 'deployment/web');
    expect(history.stdout).to.match(/^deployment\.apps\/web\nREVISION {2}CHANGE-CAUSE\n1 {9}\S.*\n2 {9}\S.*\n$/);
    const one = await run('rollout', 'history', 'deployment/web', '--revision', '1');
    expect(one.stdout).to.match(/^deployment\.apps\/web with revision #1\nPod Template:\n/);
    expect(one.stdout).to.match(/Image: +busybox:1\.35\n/);
  });

  it('set image refuses an unknown container and changes nothing', async () => {
    const res = await run('set', 'image', 'deployment/web', 'c=busybox:1.35', 'nope=busybox:1.35');
    expect(res.code).to.equal(1);
    expect(res.stderr).to.equal('error: unable to find container named "nope" (the pod template has "c")\n');
    expect((await live('web')).spec.template.spec.containers[0]?.image).to.equal('busybox:latest');
  });

  it('undo --to-revision 1 restores the first template, then a second undo to it is skipped', async () => {
    const undo = await run('rollout', 'undo', 'deployment/web', '--to-revision', '1');
    expect(undo.stdout).to.equal('deployment.apps/web rolled back\n');
    const restored = await live('web');
    expect(restored.spec.template.spec.containers[0]).to.deep.include({ image: 'busybox:1.35', command: ['sleep', '3600'] });
    await revisionIs('web', '3');
    const again = await run('rollout', 'undo', 'deployment/web', '--to-revision', '3');
    expect(again.stdout).to.equal('deployment.apps/web skipped rollback (current template already matches revision 3)\n');
    const missing = await run('rollout', 'undo', 'deployment/web', '--to-revision', '7');
    expect([missing.code, missing.stderr]).to.deep.equal([1, 'error: unable to find specified revision 7 in history\n']);
  });

  it('pause, resume and restart with kubectl\'s words and refusals', async () => {
    expect((await run('rollout', 'pause', 'deployment/web')).stdout).to.equal('deployment.apps/web paused\n');
    expect((await live('web')).spec.paused).to.equal(true);
    expect((await run('rollout', 'pause', 'deployment/web')).stderr).to.equal('error: deployments.apps "web" is already paused\n');
    expect((await run('rollout', 'restart', 'deployment/web')).stderr).to.equal("error: can't restart paused deployment (run rollout resume first)\n");
    expect((await run('rollout', 'resume', 'deployment', 'web')).stdout).to.equal('deployment.apps/web resumed\n');
    expect((await run('rollout', 'resume', 'deployment/web')).stderr).to.equal('error: deployments.apps "web" is not paused\n');
    expect((await run('rollout', 'restart', 'deployment/web')).stdout).to.equal('deployment.apps/web restarted\n');
    const restartedAt = (await live('web')).spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
    expect(restartedAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('rollout status waits with kubectl\'s message and fails at --timeout; --watch=false prints once', async () => {
    const status = await run('rollout', 'status', 'deployment/web', '--timeout', '2s');
    expect(status.code).to.equal(1);
    expect(status.stdout).to.match(/^Waiting for deployment "web" rollout to finish: /);
    expect(status.stderr).to.equal('error: timed out waiting for the condition\n');
    const once = await run('rollout', 'status', 'deployment/web', '--watch=false');
    expect(once.code).to.equal(0);
    expect(once.stdout.trim().split('\n')).to.have.length(1);
  });

  it('apply --wait prints a plain line per change off a terminal and fails naming the rollout that did not finish', async () => {
    const res = await berth(cp.server, ['apply', '--wait', '--timeout', '2s', '-f', '-'], stringify(deployment('api')));
    expect(res.code).to.equal(1);
    expect(res.stdout).to.match(/^deployment\.apps\/api created\ndeployment\.apps\/api: /);
    expect(res.stdout).to.not.include('\x1b[');
    expect(res.stderr).to.equal('error: rollout of deployment.apps/api failed: timed out waiting for the condition\n');
  });

  it('apply warns, on stderr, about each field Berth accepts but ignores, naming its path', async () => {
    const res = await berth(cp.server, ['apply', '-f', '-'], stringify(deployment('init', { activeDeadlineSeconds: 30 })));
    expect(res.code).to.equal(0);
    expect(res.stderr.split('\n').filter((l) => l !== '').sort()).to.deep.equal([
      'Warning: stdin: document 1 (line 1): Deployment/init: spec.template.spec.activeDeadlineSeconds: unsupported field: Berth ignores it',
    ]);
  });
});
