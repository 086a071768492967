import { expect } from 'chai';
import { validateObject } from '../../../proto/validation/index.js';
import { deploymentManifest } from '../../support/deployment-manifest.js';

function deployment(overrides: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}) {
  return deploymentManifest({ spec: overrides, podSpec });
}

const paths = (r: ReturnType<typeof validateObject>) => r.errors.map((e) => e.path);

describe('validateObject', () => {
  it('accepts a minimal Deployment', () => {
    expect(validateObject(deployment())).to.deep.equal({ errors: [], warnings: [] });
  });

  it('names the field of a wrong type and quotes the value', () => {
    const r = validateObject(deployment({ replicas: 'three' }));
    expect(r.errors).to.deep.include({ path: 'spec.replicas', message: 'Invalid value: "three": must be of type integer' });
  });

  it('refuses a negative replica count', () => {
    expect(paths(validateObject(deployment({ replicas: -1 })))).to.include('spec.replicas');
  });

  it('reports an unknown field as an error naming its path', () => {
    const r = validateObject(deployment({}, { containers: [{ name: 'web', imagee: 'busybox' }] }));
    expect(r.errors).to.deep.include({ path: 'spec.template.spec.containers[0].imagee', message: 'unknown field "imagee"' });
    expect(r.errors).to.deep.include({ path: 'spec.template.spec.containers[0].image', message: 'Required value' });
  });

  it('warns about Kubernetes fields Berth does not support, and accepts the object', () => {
    const r = validateObject(deployment({}, { hostAliases: [], topologySpreadConstraints: [] }));
    expect(r.errors).to.deep.equal([]);
    expect(r.warnings.map((w) => w.path)).to.have.members(['spec.template.spec.hostAliases', 'spec.template.spec.topologySpreadConstraints']);
  });

  it('requires the selector to match the template labels', () => {
    const r = validateObject(deployment({ selector: { matchLabels: { app: 'other' } } }));
    expect(r.errors).to.have.length(1);
    expect(r.errors[0]?.path).to.equal('spec.template.metadata.labels');
    expect(r.errors[0]?.message).to.contain('`selector` does not match template `labels`');
  });

  it('refuses an empty selector', () => {
    expect(paths(validateObject(deployment({ selector: {} })))).to.include('spec.selector');
  });

  it('refuses duplicate container names', () => {
    const r = validateObject(deployment({}, { containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] }));
    expect(r.errors).to.deep.include({ path: 'spec.template.spec.containers[1].name', message: 'Duplicate value: "a"' });
  });

  it('accepts init containers, and refuses a name shared with an app container, probes and lifecycle hooks on them', () => {
    expect(validateObject(deployment({}, { initContainers: [{ name: 'setup', image: 'busybox', command: ['true'] }] }))).to.deep.equal({ errors: [], warnings: [] });
    const r = validateObject(deployment({}, {
      initContainers: [
        { name: 'web', image: 'busybox' },
        { name: 'check', image: 'busybox', readinessProbe: { exec: { command: ['true'] } }, lifecycle: { postStart: { exec: { command: ['true'] } } } },
      ],
    }));
    expect(r.errors).to.deep.include({ path: 'spec.template.spec.containers[0].name', message: 'Duplicate value: "web"' });
    expect(r.errors).to.deep.include({ path: 'spec.template.spec.initContainers[1].readinessProbe', message: 'Forbidden: may not be set for init containers without restartPolicy=Always' });
    expect(r.errors).to.deep.include({ path: 'spec.template.spec.initContainers[1].lifecycle', message: 'Forbidden: may not be set for init containers without restartPolicy=Always' });
  });

  it('accepts probes and hooks on a sidecar (an init container with restartPolicy Always), and restartPolicy only on init containers', () => {
    const sidecar = { name: 'proxy', image: 'busybox', restartPolicy: 'Always', readinessProbe: { exec: { command: ['true'] } }, lifecycle: { preStop: { exec: { command: ['true'] } } } };
    expect(validateObject(deployment({}, { initContainers: [sidecar] }))).to.deep.equal({ errors: [], warnings: [] });
    const r = validateObject(deployment({}, { initContainers: [{ ...sidecar, restartPolicy: 'OnFailure' }], containers: [{ name: 'web', image: 'busybox', restartPolicy: 'Always' }] }));
    expect(r.errors).to.deep.include({ path: 'spec.template.spec.containers[0].restartPolicy', message: 'Forbidden: may not be set for non-init containers' });
    expect(paths(r)).to.include('spec.template.spec.initContainers[0].restartPolicy');
  });

  it('applies DNS-1123 rules to names', () => {
    const bad = validateObject({ ...deployment(), metadata: { name: 'Web_1' } });
    expect(paths(bad)).to.deep.equal(['metadata.name']);
    const svc = validateObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } });
    expect(paths(svc)).to.deep.equal(['metadata.name']);
  });

  it('refuses a restartPolicy other than Always in a Deployment', () => {
    const r = validateObject(deployment({}, { restartPolicy: 'Never' }));
    expect(r.errors).to.deep.include({ path: 'spec.template.spec.restartPolicy', message: 'Unsupported value: "Never": supported values: "Always"' });
  });

  it('checks rolling update parameters', () => {
    const both0 = validateObject(deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }));
    expect(paths(both0)).to.deep.equal(['spec.strategy.rollingUpdate.maxUnavailable']);
    const badPercent = validateObject(deployment({ strategy: { rollingUpdate: { maxSurge: 'lots' } } }));
    expect(paths(badPercent)).to.deep.equal(['spec.strategy.rollingUpdate.maxSurge']);
    const recreate = validateObject(deployment({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }));
    expect(paths(recreate)).to.deep.equal(['spec.strategy.rollingUpdate']);
  });

  it('checks container ports, resources and probes', () => {
    const r = validateObject(
      deployment({}, {
        containers: [{
          name: 'web',
          image: 'x',
          ports: [{ containerPort: 70000 }, { containerPort: 80, name: 'HTTP' }],
          resources: { requests: { memory: '2Gi', cpu: 'lots' }, limits: { memory: '1Gi' } },
          readinessProbe: { periodSeconds: 2 },
        }],
      }),
    );
    expect(paths(r)).to.have.members([
      'spec.template.spec.containers[0].ports[0].containerPort',
      'spec.template.spec.containers[0].ports[1].name',
      'spec.template.spec.containers[0].resources.requests.cpu',
      'spec.template.spec.containers[0].resources.requests.memory',
      'spec.template.spec.containers[0].readinessProbe',
    ]);
  });

  it('accepts seccompProfile RuntimeDefault and Unconfined, and refuses Localhost naming the field', () => {
    const ok = validateObject(deployment({}, {
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [{ name: 'web', image: 'x', securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }],
    }));
    expect(ok).to.deep.equal({ errors: [], warnings: [] });
    const r = validateObject(deployment({}, {
      securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' } },
      containers: [{ name: 'web', image: 'x', securityContext: { seccompProfile: { type: 'Unconfined', localhostProfile: 'a.json' } } }],
    }));
    expect(r.errors).to.deep.equal([
      { path: 'spec.template.spec.containers[0].securityContext.seccompProfile.localhostProfile', message: 'Forbidden: may only be set when type is Localhost' },
      {
        path: 'spec.template.spec.securityContext.seccompProfile.type',
        message: 'Unsupported value: "Localhost": Berth has no node-local seccomp profiles; use RuntimeDefault (the default) or Unconfined',
      },
    ]);
    expect(paths(validateObject(deployment({}, { securityContext: { seccompProfile: { type: 'Default' } } })))).to.deep.equal([
      'spec.template.spec.securityContext.seccompProfile.type',
    ]);
  });

  it('names an unknown kind and the versions of a known one', () => {
    expect(validateObject({ apiVersion: 'v1', kind: 'Widget', metadata: { name: 'x' } }).errors[0]?.message).to.contain('no kind "Widget"');
    expect(validateObject({ apiVersion: 'extensions/v1beta1', kind: 'Deployment', metadata: { name: 'x' } }).errors[0]?.message).to.contain('use apiVersion "apps/v1"');
  });

  it('requires service port names when there are several, and valid target ports', () => {
    const r = validateObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }, { port: 443, targetPort: 'Not_Valid' }] } });
    expect(paths(r)).to.have.members(['spec.ports[0].name', 'spec.ports[1].name', 'spec.ports[1].targetPort']);
  });

  it('refuses a document that is not a mapping', () => {
    expect(validateObject(['a']).errors[0]?.message).to.contain('must be a mapping');
  });
});
