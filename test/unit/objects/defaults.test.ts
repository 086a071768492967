import { expect } from 'chai';
import type { Deployment } from '../../../proto/objects/apps.js';
import type { Service } from '../../../proto/objects/service.js';
import { applyDefaults, imageTag } from '../../../control-plane/objects/defaults.js';

describe('applyDefaults', () => {
  it('gives a Deployment Kubernetes defaults', () => {
    const d = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.14.2', ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } } }] } },
      },
    } as Deployment;
    applyDefaults(d);
    expect(d.metadata.namespace).to.equal('default');
    expect(d.metadata.labels).to.deep.equal({ app: 'web' });
    expect(d.spec.replicas).to.equal(1);
    expect(d.spec.strategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    expect(d.spec.revisionHistoryLimit).to.equal(10);
    expect(d.spec.progressDeadlineSeconds).to.equal(600);
    const pod = d.spec.template.spec;
    expect(pod.restartPolicy).to.equal('Always');
    expect(pod.terminationGracePeriodSeconds).to.equal(30);
    expect(pod.dnsPolicy).to.equal('ClusterFirst');
    const c = pod.containers[0];
    expect(c?.imagePullPolicy).to.equal('IfNotPresent');
    expect(c?.ports?.[0]?.protocol).to.equal('TCP');
    expect(c?.readinessProbe).to.deep.include({ periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
    expect(c?.readinessProbe?.httpGet).to.deep.include({ path: '/', scheme: 'HTTP' });
  });

  it('pulls :latest and untagged images Always, others IfNotPresent', () => {
    expect(imageTag('nginx')).to.equal('latest');
    expect(imageTag('nginx:latest')).to.equal('latest');
    expect(imageTag('localhost:5000/nginx')).to.equal('latest');
    expect(imageTag('localhost:5000/nginx:1.2')).to.equal('1.2');
    expect(imageTag('nginx@sha256:abc')).to.equal('');
  });

  it('never overrides a value the user gave', () => {
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', namespace: 'prod' }, spec: { replicas: 0, selector: {}, template: { spec: { restartPolicy: 'Always', containers: [{ name: 'c', image: 'x', imagePullPolicy: 'Never' }] } } } } as unknown as Deployment;
    applyDefaults(d);
    expect(d.metadata.namespace).to.equal('prod');
    expect(d.spec.replicas).to.equal(0);
    expect(d.spec.template.spec.containers[0]?.imagePullPolicy).to.equal('Never');
  });

  it('defaults a Service target port to its port', () => {
    const s = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }, { port: 443, targetPort: 'https' }] } } as Service;
    applyDefaults(s);
    expect(s.spec.type).to.equal('ClusterIP');
    expect(s.spec.ports?.map((p) => [p.targetPort, p.protocol])).to.deep.equal([[80, 'TCP'], ['https', 'TCP']]);
  });
});
