import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { ApiError, ClusterClient } from '../../../cli/client.js';
import { LAST_APPLIED_ANNOTATION } from '../../../control-plane/api/apply-plan.js';
import type { NodeAPIClient } from '../../../proto/generated/berth/v1/NodeAPI.js';
import type { Deployment } from '../../../proto/objects/apps.js';
import { findCondition } from '../../../proto/objects/conditions.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { startTestControlPlane } from '../../support/control-plane.js';
import type { TestControlPlane } from '../../support/control-plane.js';
import { eventually } from '../../support/wait.js';
import { rawNodeApi } from '../../support/test-clients.js';
import { testClusterClient } from '../../support/test-pki.js';

const service = (labels: Record<string, string>) => JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', labels }, spec: { selector: { app: 'svc' }, ports: [{ port: 80 }] } });

function podJson(name: string, extra: object): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }], ...extra } });
}

async function refusal(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('ClusterAPI.Patch on a real control plane', function () {
  this.timeout(60_000);
  let cp: TestControlPlane;
  let client: ClusterClient;
  let nodeApi: NodeAPIClient;
  const heartbeats = new AbortController();
  let beating: Promise<void> = Promise.resolve();

  before(async () => {
    cp = await startTestControlPlane();
    client = await testClusterClient(cp.server);
    nodeApi = await rawNodeApi(cp.server, 'patch-node');
  });
  after(async () => {
    heartbeats.abort();
    await beating;
    nodeApi?.close();
    client?.close();
    await cp?.stop();
  });

  const apply = (json: string) => client.apply({ documents: [{ source: 'test.yaml', index: 1, json }] });

  it('changes labels, writes nothing for a patch that changes nothing, and leaves spec and generation alone', async () => {
    await apply(service({ app: 'svc' }));
    const before = await client.get('services', 'default', 'svc');
    const patched = await client.patch('services', 'default', 'svc', { metadata: { labels: { tier: 'front' } } });
    expect(patched.metadata.labels).to.deep.equal({ app: 'svc', tier: 'front' });
    expect(patched.metadata.resourceVersion).to.not.equal(before.metadata.resourceVersion);
    expect(patched.metadata.generation).to.equal(before.metadata.generation);
    const again = await client.patch('services', 'default', 'svc', { metadata: { labels: { tier: 'front' } } });
    expect(again.metadata.resourceVersion).to.equal(patched.metadata.resourceVersion, 'an unchanged patch writes nothing');
    const removed = await client.patch('services', 'default', 'svc', { metadata: { labels: { tier: null } } });
    expect(removed.metadata.labels).to.deep.equal({ app: 'svc' });
  });

  it('refuses an invalid label key as Invalid naming the field, and writes nothing', async () => {
    const before = await client.get('services', 'default', 'svc');
    const err = await refusal(client.patch('services', 'default', 'svc', { metadata: { labels: { 'bad key!': 'x' } } }));
    expect(err.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(err.message).to.match(/^Error from server \(Invalid\): Service "svc" is invalid: metadata\.labels: Invalid value: "bad key!": name part must consist of/);
    expect((await client.get('services', 'default', 'svc')).metadata.resourceVersion).to.equal(before.metadata.resourceVersion);
  });

  it('refuses changes to identity and status, and a stale resourceVersion as Conflict, writing nothing', async () => {
    const before = await client.get('services', 'default', 'svc');
    const renamed = await refusal(client.patch('services', 'default', 'svc', { metadata: { name: 'other' } }));
    expect(renamed.message).to.equal('Error from server (Invalid): Service "svc" is invalid: metadata.name: Invalid value: "other": field is immutable');
    const status = await refusal(client.patch('services', 'default', 'svc', { status: { loadBalancer: {} } }));
    expect(status.message).to.equal('Error from server (Invalid): Service "svc" is invalid: status: Forbidden: written by the cluster, not by a patch');
    const stale = await refusal(client.patch('services', 'default', 'svc', { metadata: { labels: { x: 'y' } } }, '1'));
    expect(stale.code).to.equal(grpc.status.ABORTED);
    expect(stale.message).to.match(/^Error from server \(Conflict\): Operation cannot be fulfilled on services "svc"/);
    const notJson = await refusal(client.patch('services', 'default', 'svc', [] as unknown as object));
    expect(notJson.message).to.equal('Error from server (Invalid): the patch must be a JSON object (an RFC 7386 merge patch)');
    const missing = await refusal(client.patch('services', 'default', 'nope', { metadata: { labels: { x: 'y' } } }));
    expect(missing.message).to.equal('Error from server (NotFound): services "nope" not found');
    expect((await client.get('services', 'default', 'svc')).metadata.resourceVersion).to.equal(before.metadata.resourceVersion);
  });

  it('keeps the immutable-field rules of apply and bumps the generation only for spec', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } } },
    };
    await apply(JSON.stringify(deployment));
    const labelled = await client.patch('deployments', 'default', 'web', { metadata: { labels: { team: 'a' } } });
    expect(labelled.metadata.generation).to.equal(1);
    const scaled = (await client.patch('deployments', 'default', 'web', { spec: { replicas: 1 } })) as Deployment;
    expect(scaled.metadata.generation).to.equal(2);
    const selector = await refusal(client.patch('deployments', 'default', 'web', { spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } } } } }));
    expect(selector.message).to.contain('spec.selector: Invalid value: {"matchLabels":{"app":"x"}}: field is immutable');
  });

  it('keeps a label added by a patch when the original manifest is applied again (three-way merge)', async () => {
    const manifest = service({ app: 'svc' });
    await client.patch('services', 'default', 'svc', { metadata: { labels: { added: 'by-label' } } });
    const lastApplied = (await client.get('services', 'default', 'svc')).metadata.annotations?.[LAST_APPLIED_ANNOTATION];
    expect(JSON.parse(lastApplied ?? '{}').metadata.labels).to.deep.equal({ app: 'svc' }, 'the patch leaves last-applied alone');
    const result = await apply(manifest);
    expect(result.results.map((r) => r.action)).to.deep.equal(['UNCHANGED']);
    expect((await client.get('services', 'default', 'svc')).metadata.labels).to.deep.equal({ app: 'svc', added: 'by-label' });
    // A label the manifest owns still follows the manifest.
    await apply(service({ app: 'svc', owned: 'yes' }));
    await apply(service({ app: 'svc' }));
    expect((await client.get('services', 'default', 'svc')).metadata.labels).to.deep.equal({ app: 'svc', added: 'by-label' });
  });

  it('schedules a pending pod with a nodeSelector once its node gets the label; taints keep other pods away', async () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'patch-node' }, spec: {}, status: { capacity: { cpu: '2', memory: '4Gi', pods: '110' }, allocatable: { cpu: '2', memory: '4Gi', pods: '110' } } };
    await new Promise<void>((resolve, reject) => nodeApi.Register({ node_json: JSON.stringify(node) }, (err) => (err ? reject(err) : resolve())));
    beating = heartbeat(nodeApi, 'patch-node', heartbeats.signal);

    await apply(podJson('wants-ssd', { nodeSelector: { disktype: 'ssd' } }));
    await eventually(async () => {
      const p = (await client.get('pods', 'default', 'wants-ssd')) as Pod;
      expect(findCondition(p.status?.conditions, 'PodScheduled')?.reason).to.equal('Unschedulable');
    }, 20_000);
    await client.patch('nodes', '', 'patch-node', { metadata: { labels: { disktype: 'ssd' } } });
    await eventually(async () => expect(((await client.get('pods', 'default', 'wants-ssd')) as Pod).spec.nodeName).to.equal('patch-node'), 20_000);

    await client.patch('nodes', '', 'patch-node', { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } });
    await apply(podJson('plain', {}));
    await apply(podJson('tolerant', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }));
    await eventually(async () => expect(((await client.get('pods', 'default', 'tolerant')) as Pod).spec.nodeName).to.equal('patch-node'), 20_000);
    await eventually(async () => {
      const p = (await client.get('pods', 'default', 'plain')) as Pod;
      expect(findCondition(p.status?.conditions, 'PodScheduled')?.message).to.contain('untolerated taint {dedicated: db}');
    }, 20_000);
    expect(((await client.get('pods', 'default', 'plain')) as Pod).spec.nodeName).to.equal(undefined);

    await client.patch('nodes', '', 'patch-node', { spec: { taints: null } });
    await eventually(async () => expect(((await client.get('pods', 'default', 'plain')) as Pod).spec.nodeName).to.equal('patch-node'), 20_000);
  });
});

/** heartbeat renews a node's lease every second, as its agent would, until aborted. */
async function heartbeat(nodeApi: NodeAPIClient, nodeName: string, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await new Promise<void>((resolve) => nodeApi.Heartbeat({ node_name: nodeName }, () => resolve()));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
