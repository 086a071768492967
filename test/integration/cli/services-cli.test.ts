import { expect } from 'chai';
import { stringify } from 'yaml';
import { newIdentity } from '../../../control-plane/objects/identity.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import type { EtcdClient } from '../../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';
import { berth } from '../../support/cli.js';
import { startTestControlPlane } from '../../support/control-plane.js';
import type { TestControlPlane } from '../../support/control-plane.js';
import { eventually } from '../../support/wait.js';

const MANIFESTS = [
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop' }, spec: { selector: { app: 'shop' }, clusterIP: '10.96.0.80', ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'edge' }, spec: { type: 'NodePort', selector: { app: 'shop' }, ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'front' }, spec: { type: 'LoadBalancer', selector: { app: 'shop' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'peers' }, spec: { clusterIP: 'None', selector: { app: 'shop' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
];

describe('the berth CLI on Services and EndpointSlices', function () {
  this.timeout(60_000);
  let cp: TestControlPlane;
  let etcd: EtcdClient;

  before(async () => {
    cp = await startTestControlPlane();
    etcd = connectEtcd([cp.etcd.endpoint]);
  });
  after(async () => {
    etcd?.close();
    await cp?.stop();
  });

  /** A pod as its agent reports it: Running on a node, with an address and a port named http. */
  async function reportPod(name: string, ip: string, ready: boolean): Promise<void> {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: 'shop' }, ...newIdentity() },
      spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }] },
      status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    };
    await new ObjectStore(etcd).create(RESOURCE.pods, pod);
  }

  it('lists Services with kubectl columns: addresses, node ports, pending load balancers, headless', async () => {
    const applied = await berth(cp.server, ['apply', '-f', '-'], MANIFESTS.map((m) => stringify(m)).join('---\n'));
    expect(applied.code, applied.stderr).to.equal(0);
    const res = await berth(cp.server, ['get', 'services']);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `))?.split(/\s+/);
    expect(row('kubernetes')?.slice(0, 5)).to.deep.equal(['kubernetes', 'ClusterIP', '10.96.0.1', '<none>', '443/TCP']);
    expect(row('shop')?.slice(0, 5)).to.deep.equal(['shop', 'ClusterIP', '10.96.0.80', '<none>', '80/TCP']);
    expect(row('edge')?.slice(0, 5)).to.deep.include.members(['edge', 'NodePort', '<none>', '80:30080/TCP']);
    expect(row('front')?.[3]).to.equal('<pending>');
    expect(row('front')?.[4]).to.match(/^80:3\d{4}\/TCP$/);
    expect(row('peers')?.slice(0, 5)).to.deep.equal(['peers', 'ClusterIP', 'None', '<none>', '80/TCP']);
  });

  it('lists EndpointSlices and describes a Service with its ready endpoints', async () => {
    await reportPod('shop-1', '10.244.1.5', true);
    await reportPod('shop-2', '10.244.2.7', true);
    await reportPod('shop-3', '10.244.3.9', false);
    const slices = await eventually(async () => {
      const res = await berth(cp.server, ['get', 'endpointslices', '-l', 'kubernetes.io/service-name=shop']);
      expect(res.stdout).to.contain('10.244.3.9');
      return res.stdout;
    });
    const [header, row] = slices.trimEnd().split('\n');
    expect(header).to.match(/^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/);
    expect(row?.split(/\s+/).slice(1, 4)).to.deep.equal(['IPv4', '8080', '10.244.1.5,10.244.2.7,10.244.3.9']);

    const described = await berth(cp.server, ['describe', 'service', 'shop']);
    expect(described.code, described.stderr).to.equal(0);
    const lines = described.stdout.split('\n');
    expect(lines.slice(0, 4).map((l) => l.split(/:\s+/)[0])).to.deep.equal(['Name', 'Namespace', 'Labels', 'Annotations']);
    expect(described.stdout).to.match(/^Selector:\s+app=shop$/m);
    expect(described.stdout).to.match(/^Type:\s+ClusterIP$/m);
    expect(described.stdout).to.match(/^IP:\s+10\.96\.0\.80$/m);
    expect(described.stdout).to.match(/^Port:\s+http {2}80\/TCP$/m);
    expect(described.stdout).to.match(/^TargetPort:\s+http\/TCP$/m);
    // Only ready endpoints, as kubectl shows them.
    expect(described.stdout).to.match(/^Endpoints:\s+10\.244\.1\.5:8080,10\.244\.2\.7:8080$/m);
    expect(described.stdout).to.match(/^Session Affinity:\s+None$/m);

    const edge = await berth(cp.server, ['describe', 'svc', 'edge']);
    expect(edge.stdout).to.match(/^NodePort:\s+http {2}30080\/TCP$/m);
  });
});
