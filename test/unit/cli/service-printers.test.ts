import { expect } from 'chai';
import { COLUMNS } from '../../../cli/printers/columns.js';
import { describeObject } from '../../../cli/printers/describe.js';
import { serviceEndpointsText } from '../../../cli/printers/services.js';
import type { EndpointSlice } from '../../../proto/objects/discovery.js';
import type { Service, ServiceSpec } from '../../../proto/objects/service.js';

const created = new Date(0).toISOString();

function svc(spec: Partial<ServiceSpec>, status: Service['status'] = undefined): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', creationTimestamp: created }, spec: { type: 'ClusterIP', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }], ...spec }, ...(status ? { status } : {}) };
}

function slice(endpoints: [string, boolean][], ports: EndpointSlice['ports'] = [{ name: 'http', port: 8080, protocol: 'TCP' }]): EndpointSlice {
  return { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-abcde', creationTimestamp: created }, addressType: 'IPv4', ports, endpoints: endpoints.map(([ip, ready]) => ({ addresses: [ip], conditions: { ready } })) };
}

const row = (o: Service | EndpointSlice, wide = false) => (COLUMNS[o.kind]?.row(o, 30_000, wide) ?? []).slice(1, -1);

describe('CLI printers for Services and EndpointSlices', () => {
  it('prints TYPE, CLUSTER-IP, EXTERNAL-IP and PORT(S) as kubectl does', () => {
    expect(row(svc({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] }))).to.deep.equal(['ClusterIP', '10.96.0.10', '<none>', '80/TCP']);
    expect(row(svc({ clusterIP: 'None', clusterIPs: ['None'] }))).to.deep.equal(['ClusterIP', 'None', '<none>', '80/TCP']);
    const nodePort = svc({ type: 'NodePort', clusterIPs: ['10.96.0.11'], ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }, { name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }] });
    expect(row(nodePort)).to.deep.equal(['NodePort', '10.96.0.11', '<none>', '80:30080/TCP,53:30053/UDP']);
    expect(row(svc({ type: 'ExternalName', externalName: 'db.example.com', ports: [] }))).to.deep.equal(['ExternalName', '<none>', 'db.example.com', '<none>']);
  });

  it('shows a LoadBalancer pending until it has ingress, cut at 16 characters unless wide', () => {
    const lb = (ips: string[]) => svc({ type: 'LoadBalancer', clusterIPs: ['10.96.0.12'], ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 31000 }] }, { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } });
    expect(row(lb([]))[2]).to.equal('<pending>');
    expect(row(lb(['10.213.0.2']))[2]).to.equal('10.213.0.2');
    expect(row(lb(['10.213.0.2', '10.213.0.3']))[2]).to.equal('10.213.0.2,10...');
    expect(row(lb(['10.213.0.2', '10.213.0.3']), true)[2]).to.equal('10.213.0.2,10.213.0.3');
  });

  it('prints an EndpointSlice as ADDRESSTYPE PORTS ENDPOINTS, three at most', () => {
    expect(row(slice([['10.244.0.2', true], ['10.244.0.3', false], ['10.244.0.4', true], ['10.244.0.5', true]]))).to.deep.equal(['IPv4', '8080', '10.244.0.2,10.244.0.3,10.244.0.4 + 1 more...']);
    expect(row(slice([], []))).to.deep.equal(['IPv4', '<unset>', '<unset>']);
  });

  it("lists a port's ready endpoints on describe's Endpoints line", () => {
    expect(serviceEndpointsText([], 'http')).to.equal('<none>');
    expect(serviceEndpointsText([slice([['10.244.0.2', true], ['10.244.0.3', false]])], 'http')).to.equal('10.244.0.2:8080');
    expect(serviceEndpointsText([slice([['10.244.0.2', true]], [])], 'http')).to.equal('10.244.0.2');
    const many = slice(Array.from({ length: 5 }, (_, i) => [`10.244.0.${i + 2}`, true] as [string, boolean]));
    expect(serviceEndpointsText([many], 'http')).to.equal('10.244.0.2:8080,10.244.0.3:8080,10.244.0.4:8080 + 2 more...');
  });

  it("describes a Service in kubectl's layout, values aligned after its longest key", () => {
    const s = svc({ selector: { app: 'web' }, type: 'NodePort', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http', nodePort: 30080 }] });
    expect(describeObject(s, [], 0, { endpointSlices: [slice([['10.244.0.2', true]])] }).split('\n')).to.deep.equal([
      'Name:                     web',
      'Namespace:                default',
      'Labels:                   <none>',
      'Annotations:              <none>',
      'Selector:                 app=web',
      'Type:                     NodePort',
      'IP Family Policy:         SingleStack',
      'IP Families:              IPv4',
      'IP:                       10.96.0.10',
      'IPs:                      10.96.0.10',
      'Port:                     http  80/TCP',
      'TargetPort:               http/TCP',
      'NodePort:                 http  30080/TCP',
      'Endpoints:                10.244.0.2:8080',
      'Session Affinity:         None',
      'Internal Traffic Policy:  Cluster',
      'Events:                   <none>',
    ]);
  });

  it("describes an EndpointSlice in kubectl's layout: ports, then each endpoint with its conditions", () => {
    const text = describeObject({ ...slice([['10.244.0.2', true]]), metadata: { name: 'web-abcde', namespace: 'default' } }, []);
    expect(text.split('\n').slice(4)).to.deep.equal([
      'AddressType:            IPv4',
      'Ports:',
      '  Name   Port   Protocol',
      '  ----   ----   --------',
      '  http   8080   TCP',
      'Endpoints:',
      '  - Addresses:  10.244.0.2',
      '    Conditions:',
      '      Ready:       true',
      '      Serving:     <unset>',
      '      Terminating: <unset>',
      '    Hostname:   <unset>',
      '    TargetRef:  <unset>',
      '    NodeName:   <unset>',
      '    Zone:       <unset>',
      'Events:                 <none>',
    ]);
  });
});
