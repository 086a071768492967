import { expect } from 'chai';
import type { Service } from '../../../proto/objects/service.js';
import { serviceEnvironment } from '../../../node-agent/services/service-env.js';
import { service } from '../../support/service-objects.js';

describe('Service environment variables (Kubernetes\' docker-links style)', () => {
  const all: Service[] = [
    service('kubernetes', { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] }),
    service('redis-primary', { clusterIP: '10.96.0.11', ports: [{ port: 6379, protocol: 'TCP' }] }),
    service('dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] }, 'shop'),
    service('headless', { clusterIP: 'None', ports: [{ port: 80, protocol: 'TCP' }] }, 'shop'),
    service('pending', { ports: [{ port: 80, protocol: 'TCP' }] }, 'shop'),
  ];
  const inNamespace = (ns: string) => all.filter((s) => s.metadata.namespace === ns);
  const asMap = (vars: Array<{ name: string; value?: string }>) => Object.fromEntries(vars.map((v) => [v.name, v.value]));

  it('gives a pod the variables of every Service with a ClusterIP in its namespace, and always those of kubernetes', () => {
    const env = asMap(serviceEnvironment('shop', undefined, inNamespace));
    expect(env).to.deep.equal({
      DNS_SERVICE_HOST: '10.96.0.10',
      DNS_SERVICE_PORT: '53',
      DNS_SERVICE_PORT_DNS: '53',
      DNS_SERVICE_PORT_DNS_TCP: '53',
      DNS_PORT: 'udp://10.96.0.10:53',
      DNS_PORT_53_UDP: 'udp://10.96.0.10:53',
      DNS_PORT_53_UDP_PROTO: 'udp',
      DNS_PORT_53_UDP_PORT: '53',
      DNS_PORT_53_UDP_ADDR: '10.96.0.10',
      DNS_PORT_53_TCP: 'tcp://10.96.0.10:53',
      DNS_PORT_53_TCP_PROTO: 'tcp',
      DNS_PORT_53_TCP_PORT: '53',
      DNS_PORT_53_TCP_ADDR: '10.96.0.10',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
    });
  });

  it('turns dashes into underscores, and with enableServiceLinks: false keeps only kubernetes', () => {
    expect(asMap(serviceEnvironment('default', undefined, inNamespace))).to.include({ REDIS_PRIMARY_SERVICE_HOST: '10.96.0.11', REDIS_PRIMARY_PORT: 'tcp://10.96.0.11:6379' });
    const names = serviceEnvironment('default', false, inNamespace).map((v) => v.name);
    expect(names.every((n) => n.startsWith('KUBERNETES_'))).to.equal(true);
    expect(names).to.include('KUBERNETES_SERVICE_HOST');
  });

  it('lists the variables in a fixed order, whatever order the Services came in', () => {
    const reversed = (ns: string) => inNamespace(ns).reverse();
    expect(serviceEnvironment('default', undefined, reversed)).to.deep.equal(serviceEnvironment('default', undefined, inNamespace));
  });
});
