import { expect } from 'chai';
import type { Container, Pod } from '../../../proto/objects/pod.js';
import { fieldValue, ownVariables, resourceValue } from '../../../node-agent/agent/downward-env.js';
import { StreamedConfigObjects } from '../../../node-agent/config/streamed-config-objects.js';
import { silentLogger } from '../../support/logger.js';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-0', namespace: 'shop', uid: 'u-123', labels: { app: 'web' }, annotations: { 'example.com/note': 'hi' } },
  spec: {
    nodeName: 'node-a',
    containers: [
      { name: 'web', image: 'busybox', resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '250m' } } },
      { name: 'side', image: 'busybox' },
    ],
  },
} as Pod;
const facts = { hostIP: '192.168.1.5', podIP: '10.244.1.7', allocatable: { cpu: '4', memory: '8Gi' } };
const web = pod.spec.containers[0] as Container;
const side = pod.spec.containers[1] as Container;

describe('downward API: pod fields', () => {
  it('gives each supported field its value', () => {
    const got = Object.fromEntries(
      ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs', "metadata.labels['app']", "metadata.annotations['example.com/note']"].map((p) => [p, fieldValue(pod, p, facts)]),
    );
    expect(got).to.deep.equal({
      'metadata.name': 'web-0',
      'metadata.namespace': 'shop',
      'metadata.uid': 'u-123',
      'spec.nodeName': 'node-a',
      'spec.serviceAccountName': 'default',
      'status.hostIP': '192.168.1.5',
      'status.hostIPs': '192.168.1.5',
      'status.podIP': '10.244.1.7',
      'status.podIPs': '10.244.1.7',
      "metadata.labels['app']": 'web',
      "metadata.annotations['example.com/note']": 'hi',
    });
  });

  it('gives an empty string for a missing label', () => {
    expect(fieldValue(pod, "metadata.labels['nope']", facts)).to.equal('');
  });
});

describe('downward API: container resources', () => {
  it('divides and rounds up as Kubernetes does', () => {
    expect(resourceValue(web, { resource: 'limits.cpu' }, facts.allocatable)).to.equal('1');
    expect(resourceValue(web, { resource: 'limits.cpu', divisor: '1m' }, facts.allocatable)).to.equal('500');
    expect(resourceValue(web, { resource: 'requests.cpu', divisor: '1m' }, facts.allocatable)).to.equal('250');
    expect(resourceValue(web, { resource: 'limits.memory' }, facts.allocatable)).to.equal(String(64 * 2 ** 20));
    expect(resourceValue(web, { resource: 'limits.memory', divisor: '1Mi' }, facts.allocatable)).to.equal('64');
    expect(resourceValue(web, { resource: 'limits.memory', divisor: '1M' }, facts.allocatable)).to.equal('68');
  });

  it('gives the node allocatable for an unset limit, the limit for an unset request, else 0', () => {
    expect(resourceValue(side, { resource: 'limits.cpu' }, facts.allocatable)).to.equal('4');
    expect(resourceValue(side, { resource: 'limits.memory', divisor: '1Gi' }, facts.allocatable)).to.equal('8');
    expect(resourceValue(web, { resource: 'requests.memory', divisor: '1Mi' }, facts.allocatable)).to.equal('64');
    expect(resourceValue(side, { resource: 'requests.cpu' }, facts.allocatable)).to.equal('0');
  });
});

describe('downward API: a container env', () => {
  it('resolves valueFrom, keeps literals for expansion, reads another container by name and a ConfigMap key', () => {
    const configs = new StreamedConfigObjects(silentLogger());
    configs.change('ADDED', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'shop' }, data: { k: 'from-cm' } } as never);
    const container: Container = {
      name: 'side',
      image: 'busybox',
      env: [
        { name: 'LIT', value: '$(POD)' },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'WEB_MEM', valueFrom: { resourceFieldRef: { containerName: 'web', resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CM', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
      ],
    };
    expect(ownVariables(pod, container, facts, configs)).to.deep.equal([
      { name: 'LIT', literal: '$(POD)' },
      { name: 'POD', resolved: 'web-0' },
      { name: 'WEB_MEM', resolved: '64' },
      { name: 'CM', resolved: 'from-cm' },
    ]);
  });
});
