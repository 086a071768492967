import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { NodeAPIClient } from '../../../proto/generated/berth/v1/NodeAPI.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { berth } from '../../support/cli.js';
import { startTestControlPlane } from '../../support/control-plane.js';
import type { TestControlPlane } from '../../support/control-plane.js';
import { rawNodeApi } from '../../support/test-clients.js';

function call<T>(fn: (cb: (err: grpc.ServiceError | null, res?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res as T))));
}

const NODE = 'cli-node';
const podYaml = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox:1.35' }] } });

describe('berth delete of pods: grace period, --force, --now and --wait', function () {
  // Each test runs the CLI several times (a process each).
  this.timeout(120_000);
  let cp: TestControlPlane;
  let nodeApi: NodeAPIClient;
  let beats: NodeJS.Timeout | undefined;

  before(async () => {
    cp = await startTestControlPlane();
    nodeApi = await rawNodeApi(cp.server, NODE);
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE }, spec: {}, status: { capacity: { cpu: '2', memory: '1Gi', pods: '10' } } };
    await call((cb) => nodeApi.Register({ node_json: JSON.stringify(node) }, cb));
    // An agent that is alive but never finishes a pod: deleted pods stay Terminating.
    beats = setInterval(() => nodeApi.Heartbeat({ node_name: NODE }, () => undefined), 500);
  });
  after(async () => {
    if (beats) clearInterval(beats);
    nodeApi?.close();
    await cp?.stop();
  });

  const create = async (name: string) => expect((await berth(cp.server, ['apply', '-f', '-'], podYaml(name))).code).to.equal(0);
  const podJson = async (name: string) => {
    const res = await berth(cp.server, ['get', 'pod', name, '-o', 'json']);
    return res.code === 0 ? (JSON.parse(res.stdout) as Pod) : undefined;
  };

  it('--wait=false returns at once and leaves the pod Terminating, as get pods shows', async () => {
    await create('lingering');
    const res = await berth(cp.server, ['delete', 'pod', 'lingering', '--wait=false']);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.equal('pod "lingering" deleted\n');
    const get = await berth(cp.server, ['get', 'pods']);
    expect(get.stdout).to.match(/^lingering\s+0\/1\s+Terminating\s+/m);
    expect((await podJson('lingering'))?.metadata.deletionGracePeriodSeconds).to.equal(30);
  });

  it('waits by default, and says what is still terminating when --timeout passes', async () => {
    await create('slow');
    const res = await berth(cp.server, ['delete', 'pod', 'slow', '--grace-period', '12', '--timeout', '1s']);
    expect(res.stdout).to.equal('pod "slow" deleted\n');
    expect(res.code).to.equal(1);
    expect(res.stderr).to.contain('timed out waiting for the deletion of pod/slow');
    expect((await podJson('slow'))?.metadata.deletionGracePeriodSeconds).to.equal(12);
  });

  it('--now asks for a grace period of 1 second; --force removes at once, with kubectl\'s warning', async () => {
    await create('hurried');
    await berth(cp.server, ['delete', 'pod', 'hurried', '--now', '--wait=false']);
    expect((await podJson('hurried'))?.metadata.deletionGracePeriodSeconds).to.equal(1);
    const forced = await berth(cp.server, ['delete', 'pod', 'hurried', '--force']);
    expect(forced.code, forced.stderr).to.equal(0);
    expect(forced.stderr).to.contain('Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated.');
    expect(forced.stdout).to.equal('pod "hurried" deleted\n');
    expect(await podJson('hurried')).to.equal(undefined);
  });

  it('refuses --force with a grace period above 0, deleting nothing', async () => {
    await create('kept');
    const res = await berth(cp.server, ['delete', 'pod', 'kept', '--force', '--grace-period', '5']);
    expect(res.code).to.equal(1);
    expect(res.stderr).to.equal('error: --force and --grace-period greater than 0 cannot be specified together\n');
    expect((await podJson('kept'))?.metadata.deletionTimestamp).to.equal(undefined);
  });
});
