import { expect } from 'chai';
import { validateObject } from '../../../proto/validation/index.js';

function service(spec: Record<string, unknown>) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ...spec } };
}

const errors = (spec: Record<string, unknown>) => validateObject(service(spec)).errors;

describe('Service validation', () => {
  it('accepts every type: ClusterIP, NodePort, LoadBalancer, headless and ExternalName', () => {
    expect(errors({ ports: [{ port: 80 }] })).to.deep.equal([]);
    expect(errors({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })).to.deep.equal([]);
    expect(errors({ type: 'LoadBalancer', ports: [{ port: 80 }] })).to.deep.equal([]);
    expect(errors({ clusterIP: 'None' })).to.deep.equal([]);
    expect(errors({ type: 'ExternalName', externalName: 'db.example.com.' })).to.deep.equal([]);
    expect(validateObject(service({ type: 'ExternalName', externalName: 'db.example.com' })).warnings).to.deep.equal([]);
  });

  it('refuses a nodePort on a ClusterIP Service, or outside 30000-32767, naming the port', () => {
    expect(errors({ ports: [{ port: 80, nodePort: 30080 }] })).to.deep.equal([
      { path: 'spec.ports[0].nodePort', message: 'Forbidden: may not be used when `type` is "ClusterIP"' },
    ]);
    expect(errors({ type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 8080 }] })).to.deep.equal([
      { path: 'spec.ports[1].nodePort', message: 'Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767' },
    ]);
  });

  it('refuses the same nodePort twice for one protocol, and allows it for TCP and UDP', () => {
    const twice = [{ name: 'a', port: 80, nodePort: 30080 }, { name: 'b', port: 81, nodePort: 30080 }];
    expect(errors({ type: 'NodePort', ports: twice })).to.deep.equal([{ path: 'spec.ports[1].nodePort', message: 'Duplicate value: 30080' }]);
    const dns = [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', nodePort: 30053 }];
    expect(errors({ type: 'NodePort', ports: dns })).to.deep.equal([]);
  });

  it('refuses a clusterIP that is not an IPv4 address, and a headless NodePort or LoadBalancer', () => {
    expect(errors({ clusterIP: '10.96.0.300', ports: [{ port: 80 }] })[0]).to.include({ path: 'spec.clusterIP' });
    expect(errors({ clusterIP: 'fd00::10', ports: [{ port: 80 }] })[0]?.message).to.contain('IPv4 only');
    expect(errors({ type: 'LoadBalancer', clusterIP: 'None', ports: [{ port: 80 }] })).to.deep.equal([
      { path: 'spec.clusterIP', message: `Invalid value: "None": may not be set to 'None' for LoadBalancer services` },
    ]);
  });

  it('requires clusterIPs to repeat clusterIP, single-stack', () => {
    expect(errors({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.11'], ports: [{ port: 80 }] })).to.deep.equal([
      { path: 'spec.clusterIPs[0]', message: 'Invalid value: "10.96.0.11": must match clusterIP "10.96.0.10"' },
    ]);
    expect(errors({ clusterIPs: ['10.96.0.10', 'fd00::10'], ports: [{ port: 80 }] }).map((e) => e.path)).to.deep.equal(['spec.clusterIPs']);
  });

  it('requires an ExternalName Service to name a valid DNS name, and no clusterIP', () => {
    expect(errors({ type: 'ExternalName' })).to.deep.equal([{ path: 'spec.externalName', message: 'Required value' }]);
    expect(errors({ type: 'ExternalName', externalName: 'Not_A_Name' }).map((e) => e.path)).to.deep.equal(['spec.externalName']);
    expect(errors({ type: 'ExternalName', externalName: 'db.example.com', clusterIP: '10.96.0.10' })).to.deep.equal([
      { path: 'spec.clusterIP', message: 'Forbidden: may not be set for ExternalName services' },
    ]);
  });

  it('requires ports except on headless and ExternalName Services', () => {
    expect(errors({})).to.deep.equal([{ path: 'spec.ports', message: 'Required value' }]);
  });
});
