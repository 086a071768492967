import { expect } from 'chai';
import { validateObject } from '../../../proto/validation/index.js';

function pod(volumes: unknown[], volumeMounts: unknown[] = [], securityContext?: unknown) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'c', image: 'busybox', volumeMounts }], volumes, ...(securityContext ? { securityContext } : {}) },
  };
}

describe('volume validation', () => {
  it('accepts every supported source, mounts, fsGroup and supplementalGroups without warnings', () => {
    const r = validateObject(
      pod(
        [
          { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
          { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
          { name: 'cfg', configMap: { name: 'settings', items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o400 }], defaultMode: 0o644, optional: true } },
          { name: 'creds', secret: { secretName: 'creds' } },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory' } }] } },
          { name: 'all', projected: { sources: [{ configMap: { name: 'settings' } }, { secret: { name: 'creds' } }, { downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } }] } },
        ],
        [
          { name: 'scratch', mountPath: '/scratch' },
          { name: 'host', mountPath: '/logs', readOnly: true, subPath: 'app', mountPropagation: 'None' },
        ],
        { fsGroup: 2000, supplementalGroups: [3000] },
      ),
    );
    expect(r).to.deep.equal({ errors: [], warnings: [] });
  });

  it('accepts a projected serviceAccountToken source with a warning: Berth has no service account tokens', () => {
    const r = validateObject(pod([{ name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }, { configMap: { name: 'ca' } }] } }]));
    expect(r.errors).to.deep.equal([]);
    expect(r.warnings.map((w) => w.path)).to.deep.equal(['spec.volumes[0].projected.sources[0].serviceAccountToken']);
  });

  it('refuses an unsupported source by name, none, or two', () => {
    const r = validateObject(pod([{ name: 'data', persistentVolumeClaim: { claimName: 'x' } }, { name: 'none' }, { name: 'two', emptyDir: {}, hostPath: { path: '/tmp' } }]));
    expect(r.errors.map((e) => e.path)).to.deep.equal(['spec.volumes[0].persistentVolumeClaim', 'spec.volumes[1]', 'spec.volumes[2].hostPath']);
    expect(r.errors[0]?.message).to.match(/persistentVolumeClaim volumes are not supported by Berth/);
    expect(r.errors[1]?.message).to.equal('Required value: must specify a volume type');
    expect(r.errors[2]?.message).to.equal('Forbidden: may not specify more than 1 volume type');
  });

  it('refuses duplicate names, item paths leaving the volume, and downward fields a volume cannot show', () => {
    const r = validateObject(
      pod([
        { name: 'a', emptyDir: {} },
        { name: 'a', emptyDir: {} },
        { name: 'cfg', configMap: { name: 's', items: [{ key: 'k', path: '../../etc/x' }, { key: 'k/bad', path: '/abs' }] } },
        { name: 'info', downwardAPI: { items: [{ path: 'ip', fieldRef: { fieldPath: 'status.podIP' } }, { path: 'm', resourceFieldRef: { resource: 'limits.memory' } }] } },
        { name: 'host', hostPath: { path: 'relative' } },
      ]),
    );
    expect(r.errors.map((e) => `${e.path}: ${e.message}`)).to.deep.equal([
      'spec.volumes[1].name: Duplicate value: "a"',
      'spec.volumes[2].configMap.items[0].path: Invalid value: "../../etc/x": must not contain \'..\'',
      "spec.volumes[2].configMap.items[1].key: Invalid value: \"k/bad\": a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
      'spec.volumes[2].configMap.items[1].path: Invalid value: "/abs": must be a relative path',
      'spec.volumes[3].downwardAPI.items[0].fieldRef.fieldPath: Unsupported value: "status.podIP": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels", "metadata.annotations", "metadata.labels[\'<KEY>\']", "metadata.annotations[\'<KEY>\']"',
      'spec.volumes[3].downwardAPI.items[1].resourceFieldRef.containerName: Required value',
      'spec.volumes[4].hostPath.path: Invalid value: "relative": must be an absolute path',
    ]);
  });

  it('refuses mounts of unknown volumes, relative or repeated mount paths, escaping subPaths and propagation other than None', () => {
    const r = validateObject(
      pod(
        [{ name: 'data', emptyDir: {} }],
        [
          { name: 'nope', mountPath: '/a' },
          { name: 'data', mountPath: 'rel' },
          { name: 'data', mountPath: '/a/' },
          { name: 'data', mountPath: '/b', subPath: '../up' },
          { name: 'data', mountPath: '/c', subPath: '/abs' },
          { name: 'data', mountPath: '/d', mountPropagation: 'Bidirectional' },
        ],
      ),
    );
    expect(r.errors.map((e) => `${e.path}: ${e.message}`)).to.deep.equal([
      'spec.containers[0].volumeMounts[0].name: Not found: "nope"',
      'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "rel": must be an absolute path',
      'spec.containers[0].volumeMounts[2].mountPath: Invalid value: "/a/": must be unique',
      'spec.containers[0].volumeMounts[3].subPath: Invalid value: "../up": must not contain \'..\'',
      'spec.containers[0].volumeMounts[4].subPath: Invalid value: "/abs": must be a relative path',
      'spec.containers[0].volumeMounts[5].mountPropagation: Unsupported value: "Bidirectional": supported values: "None"',
    ]);
  });
});
