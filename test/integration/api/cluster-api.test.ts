import { expect } from 'chai';
import { ApiError, ClusterClient } from '../../../cli/client.js';
import type { Deployment } from '../../../proto/objects/apps.js';
import type { BerthObject } from '../../../proto/objects/meta.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import { startTestControlPlane } from '../../support/control-plane.js';
import type { TestControlPlane } from '../../support/control-plane.js';
import { eventually } from '../../support/wait.js';
import { testClusterClient } from '../../support/test-pki.js';

function deploymentJson(name: string, replicas: number, labels: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } },
    },
  });
}

describe('ClusterAPI over gRPC, on a real etcd', function () {
  this.timeout(60_000);
  let cp: TestControlPlane;
  let a: ClusterClient;
  let b: ClusterClient;

  before(async () => {
    cp = await startTestControlPlane();
    a = await testClusterClient(cp.server);
    b = await testClusterClient(cp.server);
  });
  after(async () => {
    a?.close();
    b?.close();
    await cp?.stop();
  });

  const apply = (client: ClusterClient, json: string) => client.apply({ documents: [{ source: 'test.yaml', index: 1, json }] });

  it('creates, then finds the same manifest unchanged (writing nothing), then configures a change', async () => {
    // A Service: no controller writes to it, so its resourceVersion moves only if apply writes.
    const service = JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'idem' }, spec: { selector: { app: 'idem' }, ports: [{ port: 80 }] } });
    expect((await apply(a, service)).results.map((r) => r.action)).to.deep.equal(['CREATED']);
    const before = await a.get('services', 'default', 'idem');
    expect((await apply(a, service)).results.map((r) => r.action)).to.deep.equal(['UNCHANGED']);
    expect((await a.get('services', 'default', 'idem')).metadata.resourceVersion).to.equal(before.metadata.resourceVersion, 'an unchanged apply writes nothing');

    expect((await apply(a, deploymentJson('idem', 2))).results.map((r) => r.action)).to.deep.equal(['CREATED']);
    expect((await apply(a, deploymentJson('idem', 2))).results.map((r) => r.action)).to.deep.equal(['UNCHANGED']);
    expect((await apply(a, deploymentJson('idem', 4))).results.map((r) => r.action)).to.deep.equal(['CONFIGURED']);
    const changed = (await a.get('deployments', 'default', 'idem')) as Deployment;
    expect(changed.spec.replicas).to.equal(4);
    expect(changed.metadata.generation).to.equal(2);
  });

  it('lands every scale of two clients racing on the same Deployment (no lost update)', async () => {
    await apply(a, deploymentJson('race', 0));
    // Each client increments replicas read-modify-write, guarded on the resourceVersion it read,
    // retrying on conflict exactly as a careful program would.
    const incrementMany = async (client: ClusterClient, times: number) => {
      let conflicts = 0;
      for (let i = 0; i < times; i++) {
        for (;;) {
          const current = (await client.get('deployments', 'default', 'race')) as Deployment;
          try {
            await client.scale('deployments', 'default', 'race', (current.spec.replicas ?? 0) + 1, current.metadata.resourceVersion);
            break;
          } catch (err) {
            if (!(err instanceof ApiError) || !err.message.includes('(Conflict)')) throw err;
            conflicts++;
          }
        }
      }
      return conflicts;
    };
    await Promise.all([incrementMany(a, 15), incrementMany(b, 15)]);
    expect(((await a.get('deployments', 'default', 'race')) as Deployment).spec.replicas).to.equal(30);
  });

  it('keeps both a scale and a concurrent apply of another field', async () => {
    // The manifest never sets replicas, so replicas belong to whoever scales (kubectl semantics).
    const withoutReplicas = (labels: Record<string, string>) => {
      const d = JSON.parse(deploymentJson('mixed', 1, labels));
      delete d.spec.replicas;
      return JSON.stringify(d);
    };
    await apply(a, withoutReplicas({}));
    await Promise.all([a.scale('deployments', 'default', 'mixed', 7), apply(b, withoutReplicas({ team: 'blue' }))]);
    const d = (await a.get('deployments', 'default', 'mixed')) as Deployment;
    expect(d.metadata.labels).to.deep.equal({ team: 'blue' });
    expect(d.spec.replicas).to.equal(7);
  });

  it('refuses a scale at a stale resourceVersion', async () => {
    await apply(a, deploymentJson('precondition', 1));
    const stale = (await a.get('deployments', 'default', 'precondition')).metadata.resourceVersion;
    await a.scale('deployments', 'default', 'precondition', 2);
    try {
      await b.scale('deployments', 'default', 'precondition', 5, stale);
      expect.fail('stale scale succeeded');
    } catch (err) {
      expect((err as Error).message).to.contain('(Conflict)');
    }
    expect(((await a.get('deployments', 'default', 'precondition')) as Deployment).spec.replicas).to.equal(2);
  });

  it('refuses objects in a namespace that does not exist, and accepts them with it in the same apply', async () => {
    const inTeam = JSON.stringify({ ...JSON.parse(deploymentJson('ns-app', 1)), metadata: { name: 'ns-app', namespace: 'team' } });
    const refused = await apply(a, inTeam);
    expect(refused.results).to.deep.equal([]);
    expect(refused.errors.map((e) => e.message)).to.deep.equal(['namespace "team" not found: create it first (kind: Namespace)']);
    const ok = await a.apply({
      documents: [
        { source: 'ns.yaml', index: 1, json: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }) },
        { source: 'ns.yaml', index: 2, json: inTeam },
      ],
    });
    expect(ok.results.map((r) => `${r.kind}/${r.name} ${r.action}`)).to.deep.equal(['Namespace/team CREATED', 'Deployment/ns-app CREATED']);
  });

  it('streams changes to a watcher, after the objects that already exist', async () => {
    await apply(a, deploymentJson('watched', 1));
    const seen: { type: string; object: BerthObject }[] = [];
    const watching = a.watch({ resource: 'deployments', namespace: 'default', label_selector: 'app.kubernetes.io/part=demo' }, (type, object) => seen.push({ type, object }));
    watching.catch(() => undefined);
    await apply(b, deploymentJson('shown', 1, { 'app.kubernetes.io/part': 'demo' }));
    await b.scale('deployments', 'default', 'shown', 3);
    await b.delete('deployments', 'default', 'shown');
    // The Deployment controller also writes status, so MODIFIED events may come in between.
    await eventually(() => expect(seen.at(-1)?.type).to.equal('DELETED'));
    expect(seen.every((e) => e.object.metadata.name === 'shown')).to.equal(true, 'only the selected deployment');
    expect(seen[0]?.type).to.equal('ADDED');
    expect(seen.slice(1, -1).every((e) => e.type === 'MODIFIED')).to.equal(true);
    expect(seen.some((e) => e.type === 'MODIFIED' && (e.object as Deployment).spec.replicas === 3)).to.equal(true);
  });

  it('creates concurrent new objects together, and one that exists does not fail the others', async () => {
    await apply(a, deploymentJson('batch-existing', 1));
    const outcomes = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => apply(i % 2 ? a : b, deploymentJson(`batch-new-${i}`, 1))),
      apply(b, deploymentJson('batch-existing', 2)),
      apply(a, deploymentJson('batch-twice', 1)),
      apply(b, deploymentJson('batch-twice', 1)),
    ]);
    const actions = outcomes.map((o) => `${o.results[0]?.name} ${o.results[0]?.action}`);
    expect(actions.slice(0, 20)).to.deep.equal(Array.from({ length: 20 }, (_, i) => `batch-new-${i} CREATED`));
    expect(actions[20]).to.equal('batch-existing CONFIGURED');
    expect(actions.slice(21).sort()).to.deep.equal(['batch-twice CREATED', 'batch-twice UNCHANGED']);
    const names = (await a.list({ resource: 'deployments', namespace: 'default' })).items.map((d) => d.metadata.name);
    expect(names.filter((n) => n.startsWith('batch-')).length).to.equal(22);
  });

  it('ends a watch with a clear error: a bad selector, or a compacted resourceVersion', async () => {
    try {
      await a.watch({ resource: 'deployments', namespace: 'default', label_selector: 'app in prod' }, () => undefined);
      expect.fail('watch with a bad selector started');
    } catch (err) {
      expect((err as Error).message).to.contain('(Invalid)');
    }
    await apply(a, deploymentJson('compacted', 1));
    await a.scale('deployments', 'default', 'compacted', 2);
    const etcdClient = connectEtcd([cp.etcd.endpoint]);
    try {
      const { header } = await etcdClient.get('/berth/none').exec();
      await etcdClient.kv.compact({ revision: header.revision, physical: true });
    } finally {
      etcdClient.close();
    }
    try {
      await a.watch({ resource: 'deployments', namespace: 'default', resource_version: '2' }, () => undefined);
      expect.fail('watch from a compacted revision started');
    } catch (err) {
      expect((err as Error).message).to.contain('(Expired)');
      expect((err as Error).message).to.contain('list again');
    }
  });

  it('with a label selector, an object that starts or stops matching is ADDED or DELETED for the watcher', async () => {
    const seen: string[] = [];
    const watching = a.watch({ resource: 'deployments', namespace: 'default', label_selector: 'tier=front' }, (type, o) => seen.push(`${type} ${o.metadata.name}`));
    watching.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await apply(b, deploymentJson('relabelled', 1, { tier: 'back' }));
    await apply(b, deploymentJson('relabelled', 1, { tier: 'front' }));
    await eventually(() => expect(seen).to.include('ADDED relabelled'));
    await apply(b, deploymentJson('relabelled', 1, { tier: 'back' }));
    await eventually(() => expect(seen.at(-1)).to.equal('DELETED relabelled'));
    expect(seen[0]).to.equal('ADDED relabelled');
  });

  it('dry run reports what would happen and writes nothing', async () => {
    const res = await a.apply({ documents: [{ source: 'x.yaml', index: 1, json: deploymentJson('dry', 1) }], dry_run: true });
    expect(res.results.map((r) => r.action)).to.deep.equal(['CREATED']);
    try {
      await a.get('deployments', 'default', 'dry');
      expect.fail('dry run wrote the object');
    } catch (err) {
      expect((err as Error).message).to.contain('(NotFound)');
    }
  });
});
