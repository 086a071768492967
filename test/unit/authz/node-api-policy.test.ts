import { expect } from 'chai';
import { clusterApiDecision } from '../../../control-plane/authz/cluster-api-policy.js';
import type { Decision } from '../../../control-plane/authz/decision.js';
import { nodeApiCheck } from '../../../control-plane/authz/node-api-policy.js';
import { InvalidError } from '../../../control-plane/errors.js';
import type { Pod } from '../../../proto/objects/pod.js';
import type { CallerIdentity } from '../../../proto/security/identity.js';

const nodeA: CallerIdentity = { kind: 'node', nodeName: 'a' };
const admin: CallerIdentity = { kind: 'admin', name: 'alice' };
const controlPlane: CallerIdentity = { kind: 'control-plane', name: 'berth-control-plane' };

function pod(name: string, nodeName: string | undefined, uid = `uid-${name}`, namespace = 'default'): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, uid }, spec: { containers: [], ...(nodeName ? { nodeName } : {}) } };
}

/** The decision on a call whose named pods are found in `stored` (by namespace/name). */
function judge(identity: CallerIdentity | undefined, method: string, request: unknown, stored: Pod[] = []): Decision & { podsRead: string[] } {
  const check = nodeApiCheck(identity, method, request);
  const found = check.pods.map((ref) => stored.find((p) => p.metadata.namespace === ref.namespace && p.metadata.name === ref.name));
  return { ...check.decide(found), podsRead: check.pods.map((ref) => `${ref.namespace}/${ref.name}`) };
}

const refusal = (decision: Decision) => (decision.allowed ? undefined : decision.refused);
const event = (involvedObject: Record<string, unknown>) => JSON.stringify({ involvedObject, reason: 'Started', message: 'm' });

describe('authorization: what a node identity may do through NodeAPI', () => {
  it('registers only its own Node; a Register with no readable name is invalid, not judged', () => {
    expect(judge(nodeA, 'Register', { node_json: JSON.stringify({ metadata: { name: 'a' } }) }).allowed).to.equal(true);
    expect(refusal(judge(nodeA, 'Register', { node_json: JSON.stringify({ metadata: { name: 'b' } }) }))).to.equal('register node b: a node registers only itself');
    expect(() => nodeApiCheck(nodeA, 'Register', { node_json: '{"metadata":{}}' })).to.throw(InvalidError, 'node_json: a Node must be a mapping with metadata.name');
    expect(() => nodeApiCheck(nodeA, 'Register', { node_json: 'not json' })).to.throw(InvalidError, 'node_json is not valid JSON');
  });

  it('heartbeats, watches and reports only as itself', () => {
    for (const method of ['Heartbeat', 'WatchPods', 'WatchConfigObjects', 'WatchServices', 'WatchNodes', 'ReportProxySync']) {
      expect(judge(nodeA, method, { node_name: 'a', resource_version: '5' }).allowed, method).to.equal(true);
      expect(judge(nodeA, method, { node_name: 'b', resource_version: '5' }).allowed, method).to.equal(false);
    }
    expect(refusal(judge(nodeA, 'WatchPods', { node_name: 'b' }))).to.equal('watch the pods of node b: a node acts only for itself');
    expect(refusal(judge(nodeA, 'Heartbeat', { node_name: '' }))).to.equal('renew the lease of an unnamed node: a node acts only for itself');
    expect(refusal(judge(nodeA, 'WatchConfigObjects', { node_name: 'b' }))).to.equal('watch the ConfigMaps and Secrets of node b: a node acts only for itself');
  });

  it('writes the statuses of its own pods, judged on the stored pods rather than on the request', () => {
    const stored = [pod('web-0', 'a'), pod('web-1', 'a'), pod('db-0', 'b')];
    const update = (name: string, uid = `uid-${name}`) => ({ namespace: 'default', name, uid, status_json: '{}' });
    const own = judge(nodeA, 'UpdatePodStatuses', { node_name: 'a', updates: [update('web-0'), update('web-1')] }, stored);
    expect(own.allowed).to.equal(true);
    expect(own.podsRead).to.deep.equal(['default/web-0', 'default/web-1']);
    const mixed = judge(nodeA, 'UpdatePodStatuses', { node_name: 'a', updates: [update('web-0'), update('db-0'), update('web-1')] }, stored);
    expect(refusal(mixed)).to.equal('report the status of pod default/db-0: it is not bound to node a (none of the 3 statuses in the call was written)');
    // The request's own node name does not make a pod its own.
    expect(judge(nodeA, 'UpdatePodStatuses', { node_name: 'b', updates: [update('db-0')] }, stored).allowed).to.equal(false);
  });

  it('leaves pods that are gone, or are another instance now, to the handler (which answers NOT_FOUND)', () => {
    const stored = [pod('web-0', 'b', 'new-uid')];
    const updates = [
      { namespace: 'default', name: 'web-0', uid: 'old-uid', status_json: '{}' },
      { namespace: 'default', name: 'deleted', uid: 'x', status_json: '{}' },
    ];
    expect(judge(nodeA, 'UpdatePodStatuses', { node_name: 'a', updates }, stored).allowed).to.equal(true);
    // Without a uid the request is about whichever instance is stored: that one is node b's.
    expect(judge(nodeA, 'UpdatePodStatuses', { node_name: 'a', updates: [{ ...updates[0], uid: '' }] }, stored).allowed).to.equal(false);
  });

  it('finishes and waits for the endpoints of its own pods only', () => {
    const stored = [pod('web-0', 'a'), pod('db-0', 'b'), pod('pending', undefined)];
    const ref = (name: string) => ({ node_name: 'a', namespace: 'default', name, uid: `uid-${name}`, timeout_ms: 100 });
    expect(judge(nodeA, 'FinishPodTermination', ref('web-0'), stored).allowed).to.equal(true);
    expect(refusal(judge(nodeA, 'FinishPodTermination', ref('db-0'), stored))).to.equal('remove pod default/db-0: it is not bound to node a');
    expect(refusal(judge(nodeA, 'FinishPodTermination', ref('pending'), stored))).to.equal('remove pod default/pending: it is not bound to node a');
    expect(judge(nodeA, 'WaitEndpointsDrained', ref('web-0'), stored).allowed).to.equal(true);
    expect(refusal(judge(nodeA, 'WaitEndpointsDrained', ref('db-0'), stored))).to.equal('wait for the endpoints of pod default/db-0: it is not bound to node a');
    // An empty namespace is the default one, as the handlers read it.
    expect(judge(nodeA, 'FinishPodTermination', { ...ref('db-0'), namespace: '' }, stored).allowed).to.equal(false);
  });

  it('records events about its own Node and its own pods only; a malformed event is left to the handler', () => {
    const stored = [pod('web-0', 'a'), pod('db-0', 'b', 'uid-db-0', 'data')];
    const record = (...events: string[]) => judge(nodeA, 'RecordEvents', { node_name: 'a', events_json: events }, stored);
    expect(record(event({ kind: 'Node', name: 'a' }), event({ kind: 'Pod', name: 'web-0', uid: 'uid-web-0' }), 'not json', event({ kind: 7, name: 'x' })).allowed).to.equal(true);
    expect(refusal(record(event({ kind: 'Pod', name: 'web-0' }), event({ kind: 'Pod', namespace: 'data', name: 'db-0', uid: 'uid-db-0' })))).to.equal(
      'record an event about pod data/db-0: it is not bound to node a',
    );
    expect(refusal(record(event({ kind: 'Node', name: 'b' })))).to.equal('record an event about node b: only about its own Node and its pods');
    expect(refusal(record(event({ kind: 'Secret', namespace: 'default', name: 'token' })))).to.equal('record an event about Secret token: only about its own Node and its pods');
    expect(refusal(judge(nodeA, 'RecordEvents', { node_name: 'b', events_json: [] }))).to.equal('record events for node b: a node acts only for itself');
  });

  it('lets admins call NodeAPI as any node, and refuses the control plane, callers without identity and unknown methods', () => {
    expect(judge(admin, 'WatchPods', { node_name: 'b' }).allowed).to.equal(true);
    expect(judge(admin, 'UpdatePodStatuses', { node_name: 'b', updates: [{ namespace: 'default', name: 'x', uid: '', status_json: '{}' }] }).podsRead).to.deep.equal([]);
    expect(refusal(judge(controlPlane, 'Heartbeat', { node_name: 'a' }))).to.equal('call NodeAPI Heartbeat: NodeAPI is for node identities');
    expect(refusal(judge(undefined, 'WatchPods', { node_name: 'a' }))).to.equal('call NodeAPI WatchPods: NodeAPI is for node identities');
    expect(refusal(judge(nodeA, 'toString', {}))).to.equal('call NodeAPI toString: not a method nodes may call');
  });
});

describe('authorization: who may use ClusterAPI', () => {
  it('lets admins do everything, Leases included, and refuses nodes, the control plane and callers without identity', () => {
    for (const method of ['Apply', 'Get', 'List', 'Delete', 'Watch', 'Exec']) expect(clusterApiDecision(admin, method).allowed, method).to.equal(true);
    expect(refusal(clusterApiDecision(nodeA, 'Apply'))).to.equal('call ClusterAPI Apply: ClusterAPI is for admin identities only');
    expect(clusterApiDecision(controlPlane, 'Get').allowed).to.equal(false);
    expect(clusterApiDecision(undefined, 'List').allowed).to.equal(false);
  });
});
