import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { ClusterClient } from '../../../cli/client.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import type { NodeAPIClient } from '../../../proto/generated/berth/v1/NodeAPI.js';
import { startTestControlPlane } from '../../support/control-plane.js';
import type { TestControlPlane } from '../../support/control-plane.js';
import { etcdRevision } from '../../support/etcd-contents.js';
import { adminChannel, rawNodeApi, rawNodeApiAs } from '../../support/test-clients.js';
import { TEST_ADMIN, testClusterClient } from '../../support/test-pki.js';

/** What a call ended with: its status code and details (OK and '' when it succeeded). */
interface Answer {
  code: grpc.status;
  details: string;
}

const answer = <T>(fn: (cb: (err: grpc.ServiceError | null, res?: T) => void) => void): Promise<Answer & { res?: T }> =>
  new Promise((resolve) => fn((err, res) => resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '', ...(res === undefined ? {} : { res }) })));

const NODE = 'hostile-node';
const nodeJson = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {}, status: { capacity: { cpu: '8', memory: '8Gi', pods: '110' } } });

describe('malformed gRPC requests are refused with a clear status and change nothing', function () {
  this.timeout(120_000);
  let cp: TestControlPlane;
  let client: ClusterClient;
  let nodeApi: NodeAPIClient;
  let raw: grpc.Client;
  let etcd: EtcdClient;

  before(async () => {
    cp = await startTestControlPlane({ runControllers: false });
    client = await testClusterClient(cp.server);
    nodeApi = await rawNodeApi(cp.server, NODE);
    const admin = await adminChannel();
    raw = new grpc.Client(cp.server, admin.credentials, { ...admin.options, 'grpc.max_send_message_length': -1 });
    etcd = connectEtcd([cp.etcd.endpoint]);
    expect((await answer((cb) => nodeApi.Register({ node_json: nodeJson(NODE) }, cb))).code).to.equal(grpc.status.OK);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox' }] } };
    expect((await client.apply({ documents: [{ source: 'p.yaml', index: 1, json: JSON.stringify(pod) }] })).errors).to.deep.equal([]);
  });
  after(async () => {
    client?.close();
    nodeApi?.close();
    raw?.close();
    etcd?.close();
    await cp?.stop();
  });

  /** refusedWithoutEffect runs a call, expects it refused with `code`, and etcd's revision unmoved. */
  async function refusedWithoutEffect(call: () => Promise<Answer>, code: grpc.status, details: RegExp): Promise<void> {
    const before = await etcdRevision(etcd);
    const got = await call();
    expect(got.code, got.details).to.equal(code);
    expect(got.details).to.match(details);
    expect(await etcdRevision(etcd)).to.equal(before, 'nothing written');
  }

  const rawApply = (bytes: Buffer) => answer<Buffer>((cb) => raw.makeUnaryRequest('/berth.v1.ClusterAPI/Apply', (b: Buffer) => b, (b: Buffer) => b, bytes, cb));
  const applyJson = (json: string) => answer((cb) => raw.makeUnaryRequest('/berth.v1.ClusterAPI/Apply', (b: Buffer) => b, (b: Buffer) => b, applyRequestBytes(json), cb));

  it('refuses bytes that are not an ApplyRequest: wrong wire types, truncated, random', async () => {
    // Field 1 (documents, a message) sent as a varint; then a length running past the end; then noise.
    await refusedWithoutEffect(() => rawApply(Buffer.from([0x08, 0x05])), grpc.status.INVALID_ARGUMENT, /not a valid berth\.v1\.ApplyRequest/);
    await refusedWithoutEffect(() => rawApply(Buffer.from([0x0a, 0x10, 0x61, 0x62])), grpc.status.INVALID_ARGUMENT, /not a valid berth\.v1\.ApplyRequest/);
    await refusedWithoutEffect(() => rawApply(Buffer.from('ffffffffffffffffffff0102030405', 'hex')), grpc.status.INVALID_ARGUMENT, /not a valid berth\.v1\.ApplyRequest/);
  });

  it('refuses a document that is not JSON, naming the file and document', async () => {
    await refusedWithoutEffect(() => applyJson('{"apiVersion": "v1", kind: ConfigMap'), grpc.status.INVALID_ARGUMENT, /^x\.yaml document 1 is not valid JSON/);
  });

  it('refuses a document nested deeper than 100 levels before walking it', async () => {
    const deep = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);
    await refusedWithoutEffect(() => applyJson(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":${deep}}`), grpc.status.INVALID_ARGUMENT, /^x\.yaml document 1 nests deeper than 100 levels$/);
    await refusedWithoutEffect(() => applyJson(`{"s":"${'[{'.repeat(1000)}","kind":"ConfigMap"}`), grpc.status.OK, /^$/);
  });

  it('answers a document with an 8 MiB name with a problem naming the field', async () => {
    const before = await etcdRevision(etcd);
    const res = await client.apply({ documents: [{ source: 'x.yaml', index: 1, json: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n'.repeat(8 * 1024 * 1024) } }) }] });
    expect(res.errors.map((e) => e.path)).to.deep.equal(['metadata.name']);
    expect(res.errors[0]?.message.length).to.be.below(1000, 'the problem does not echo the whole name');
    expect(await etcdRevision(etcd)).to.equal(before);
  });

  it('refuses a message over the 64 MiB limit before reading it', async () => {
    await refusedWithoutEffect(() => applyJson(`"${'x'.repeat(65 * 1024 * 1024)}"`), grpc.status.RESOURCE_EXHAUSTED, /larger than max/);
  });

  it('refuses a node registration that is not JSON, not a Node, or names a path instead of a node', async () => {
    const register = (node_json: string) => () => answer((cb) => nodeApi.Register({ node_json }, cb));
    await refusedWithoutEffect(register('{'), grpc.status.INVALID_ARGUMENT, /^node_json is not valid JSON/);
    await refusedWithoutEffect(register('null'), grpc.status.INVALID_ARGUMENT, /node_json: a Node must be a mapping/);
    await refusedWithoutEffect(register('[1]'), grpc.status.INVALID_ARGUMENT, /node_json: a Node must be a mapping/);
    await refusedWithoutEffect(register(JSON.stringify({ metadata: { name: 5 } })), grpc.status.INVALID_ARGUMENT, /metadata\.name/);
    // A node may only name itself; an admin (who may register any node) gets the name checked.
    await refusedWithoutEffect(register(JSON.stringify({ metadata: { name: '../pods/default/p' } })), grpc.status.PERMISSION_DENIED, /^node hostile-node may not register node \.\.\/pods\/default\/p/);
    const asAdmin = await rawNodeApiAs(cp.server, TEST_ADMIN);
    try {
      await refusedWithoutEffect(() => answer((cb) => asAdmin.Register({ node_json: JSON.stringify({ metadata: { name: '../pods/default/p' } }) }, cb)), grpc.status.INVALID_ARGUMENT, /metadata\.name: Invalid value/);
    } finally {
      asAdmin.close();
    }
    await refusedWithoutEffect(register(JSON.stringify({ metadata: { name: NODE, labels: { a: { b: 1 } } } })), grpc.status.INVALID_ARGUMENT, /metadata\.labels\.a/);
    await refusedWithoutEffect(register(JSON.stringify({ metadata: { name: NODE }, status: { capacity: { cpu: {} } } })), grpc.status.INVALID_ARGUMENT, /status\.capacity\.cpu/);
    await refusedWithoutEffect(register(JSON.stringify({ metadata: { name: NODE }, status: { addresses: 'here' } })), grpc.status.INVALID_ARGUMENT, /status\.addresses/);
  });

  it("refuses a pod status report that is not a PodStatus, and keeps the pod's status", async () => {
    const report = (status_json: string) =>
      answer<{ results: { code: number; message: string }[] }>((cb) => nodeApi.UpdatePodStatuses({ node_name: NODE, updates: [{ namespace: 'default', name: 'p', uid: '', status_json }] } as never, cb));
    for (const [json, path] of [['null', 'status'], ['"Running"', 'status'], ['{"phase": 7}', 'status.phase'], ['{"containerStatuses": 5}', 'status.containerStatuses'], ['{', 'status_json']] as const) {
      const before = await etcdRevision(etcd);
      const got = await report(json);
      expect(got.code).to.equal(grpc.status.OK);
      expect(got.res?.results.map((r) => r.code)).to.deep.equal([grpc.status.INVALID_ARGUMENT], json);
      expect(got.res?.results[0]?.message).to.include(path);
      expect(await etcdRevision(etcd)).to.equal(before, `nothing written for ${json}`);
    }
  });

  it('refuses events of the wrong shape, each with a reason, and records none of them', async () => {
    const before = await etcdRevision(etcd);
    const got = await answer<{ problems: string[] }>((cb) => nodeApi.RecordEvents({ node_name: NODE, events_json: ['null', '{"involvedObject":{"kind":5,"name":{}},"reason":[]}', '{'] }, cb));
    expect(got.code).to.equal(grpc.status.OK);
    expect(got.res?.problems).to.have.length(3);
    await new Promise((r) => setTimeout(r, 500));
    expect(await etcdRevision(etcd)).to.equal(before);
  });
});

/** applyRequestBytes encodes an ApplyRequest of one document holding `json` (any text) by hand. */
function applyRequestBytes(json: string): Buffer {
  const field = (tag: number, payload: Buffer) => Buffer.concat([Buffer.from([tag]), varint(payload.length), payload]);
  const document = Buffer.concat([field(0x0a, Buffer.from('x.yaml')), Buffer.from([0x10, 0x01]), field(0x1a, Buffer.from(json))]);
  return field(0x0a, document);
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}
