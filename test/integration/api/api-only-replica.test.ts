import { expect } from 'chai';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import { startTestControlPlane } from '../../support/control-plane.js';
import type { TestControlPlane } from '../../support/control-plane.js';
import { eventually } from '../../support/wait.js';
import { testClusterClient } from '../../support/test-pki.js';

describe('control-plane replicas and leadership', function () {
  this.timeout(30_000);
  const planes: TestControlPlane[] = [];
  after(async () => {
    for (const cp of planes) await cp.stop();
  });

  async function leaderKey(cp: TestControlPlane): Promise<string | null> {
    const client = connectEtcd([cp.etcd.endpoint]);
    try {
      return await client.get('/berth/leader/controllers').string();
    } finally {
      client.close();
    }
  }

  it('a replica leads and runs the controllers: an applied Deployment gets its ReplicaSet', async () => {
    const cp = await startTestControlPlane();
    planes.push(cp);
    await eventually(async () => expect(await leaderKey(cp)).to.be.a('string'));
    const client = await testClusterClient(cp.server);
    try {
      await client.apply({ documents: [{ source: 't', index: 1, json: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'led' }, spec: { selector: { matchLabels: { app: 'led' } }, template: { metadata: { labels: { app: 'led' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } }) }] });
      await eventually(async () => expect((await client.list({ resource: 'replicasets', namespace: 'default' })).items).to.have.length(1));
    } finally {
      client.close();
    }
  });

  it('an API-only replica (--no-controllers) serves the API and never campaigns', async () => {
    const cp = await startTestControlPlane({ runControllers: false });
    planes.push(cp);
    const client = await testClusterClient(cp.server);
    try {
      const res = await client.apply({ documents: [{ source: 't', index: 1, json: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'api-only' } }) }] });
      expect(res.results.map((r) => r.action)).to.deep.equal(['CREATED']);
    } finally {
      client.close();
    }
    expect(await leaderKey(cp)).to.equal(null);
  });
});
