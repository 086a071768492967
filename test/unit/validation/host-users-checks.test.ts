import { expect } from 'chai';
import { validateObject } from '../../../proto/validation/index.js';
import { deploymentManifest } from '../../support/deployment-manifest.js';

/*
 * `spec.hostUsers: false` (a user namespace per pod) is acted on, so no warning; what would hand
 * the host's privileges back is refused naming the field, as Kubernetes refuses it.
 */

function pod(spec: Record<string, unknown>, container: Record<string, unknown> = {}) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox', ...container }], ...spec } };
}

const FORBIDDEN = 'Forbidden: when `spec.hostUsers` is false';

describe('validation of hostUsers: false', () => {
  it('accepts a plain pod in a user namespace, without a warning', () => {
    expect(validateObject(pod({ hostUsers: false, securityContext: { runAsUser: 1000, fsGroup: 2000 } }))).to.deep.equal({ errors: [], warnings: [] });
    expect(validateObject(pod({ hostUsers: true }))).to.deep.equal({ errors: [], warnings: [] });
  });

  it('refuses a privileged container, naming its field (init containers too)', () => {
    const r = validateObject({
      ...pod({ hostUsers: false, initContainers: [{ name: 'i', image: 'busybox', securityContext: { privileged: true } }] }, { securityContext: { privileged: true } }),
    });
    expect(r.errors).to.deep.equal([
      { path: 'spec.initContainers[0].securityContext.privileged', message: FORBIDDEN },
      { path: 'spec.containers[0].securityContext.privileged', message: FORBIDDEN },
    ]);
  });

  it('accepts a privileged container outside a user namespace (the agent refuses it later, as before)', () => {
    expect(validateObject(pod({}, { securityContext: { privileged: true } })).errors).to.deep.equal([]);
  });

  it('refuses the host network, PID and IPC namespaces', () => {
    const r = validateObject(pod({ hostUsers: false, hostNetwork: true, hostPID: true, hostIPC: true }));
    expect(r.errors).to.deep.equal([
      { path: 'spec.hostNetwork', message: FORBIDDEN },
      { path: 'spec.hostPID', message: FORBIDDEN },
      { path: 'spec.hostIPC', message: FORBIDDEN },
    ]);
  });

  it('refuses ids the pod\'s namespace does not map (65536 and above)', () => {
    const r = validateObject(pod(
      { hostUsers: false, securityContext: { runAsUser: 65536, fsGroup: 70000, supplementalGroups: [1, 65536] } },
      { securityContext: { runAsGroup: 100000 } },
    ));
    expect(r.errors.map((e) => e.path)).to.deep.equal([
      'spec.containers[0].securityContext.runAsGroup',
      'spec.securityContext.runAsUser',
      'spec.securityContext.fsGroup',
      'spec.securityContext.supplementalGroups[1]',
    ]);
    expect(r.errors[1]!.message).to.equal("Invalid value: 65536: must be less than 65536 when `spec.hostUsers` is false (the pod's user namespace maps ids 0-65535)");
  });

  it('checks a Deployment\'s template the same way', () => {
    const r = validateObject(deploymentManifest({ spec: {}, podSpec: { hostUsers: false }, container: { securityContext: { privileged: true } }, image: 'nginx' }));
    expect(r.errors).to.deep.equal([{ path: 'spec.template.spec.containers[0].securityContext.privileged', message: FORBIDDEN }]);
  });

  it('refuses a hostUsers that is not a boolean', () => {
    expect(validateObject(pod({ hostUsers: 'false' })).errors).to.deep.equal([{ path: 'spec.hostUsers', message: 'Invalid value: "false": must be of type boolean' }]);
  });
});
