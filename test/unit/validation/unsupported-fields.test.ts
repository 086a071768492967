import { expect } from 'chai';
import { validateObject } from '../../../proto/validation/index.js';
import { deploymentManifest } from '../../support/deployment-manifest.js';

/*
 * A Kubernetes field Berth accepts but does not act on is a warning naming its path; one it acts
 * on (probes, hooks, strategy and rollout fields, grace periods) is not.
 */

function deployment(spec: Record<string, unknown>, podSpec: Record<string, unknown>, container: Record<string, unknown> = {}) {
  return deploymentManifest({ spec, podSpec, container, image: 'nginx' });
}

const probe = { httpGet: { path: '/', port: 80 }, periodSeconds: 2, failureThreshold: 3, terminationGracePeriodSeconds: 5 };

describe('warnings for fields Berth does not act on', () => {
  it('none for the rollout, probe, hook and termination fields Berth implements', () => {
    const r = validateObject(deployment(
      { replicas: 3, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } }, minReadySeconds: 2, progressDeadlineSeconds: 60, revisionHistoryLimit: 5, paused: false },
      { terminationGracePeriodSeconds: 10 },
      {
        livenessProbe: probe, readinessProbe: probe, startupProbe: { exec: { command: ['true'] } },
        lifecycle: { postStart: { exec: { command: ['true'] } }, preStop: { sleep: { seconds: 3 } } },
        stdin: false, tty: false,
      },
    ));
    expect(r).to.deep.equal({ errors: [], warnings: [] });
  });

  it('one per ignored field, naming its path, and the object is still accepted', () => {
    const r = validateObject(deployment(
      {},
      {
        activeDeadlineSeconds: 60,
        priority: 10,
        securityContext: { fsGroupChangePolicy: 'OnRootMismatch' },
        tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }],
      },
      { stdin: true, tty: true, lifecycle: { preStop: { tcpSocket: { port: 80 } } } },
    ));
    expect(r.errors).to.deep.equal([]);
    expect(r.warnings.map((w) => w.path)).to.have.members([
      'spec.template.spec.activeDeadlineSeconds',
      'spec.template.spec.priority',
      'spec.template.spec.securityContext.fsGroupChangePolicy',
      'spec.template.spec.tolerations[0].tolerationSeconds',
      'spec.template.spec.containers[0].stdin',
      'spec.template.spec.containers[0].tty',
      'spec.template.spec.containers[0].lifecycle.preStop.tcpSocket',
    ]);
  });

  it('an ignored field is still checked: a wrong value inside it is an error', () => {
    const r = validateObject(deployment({}, { activeDeadlineSeconds: 0 }));
    expect(r.errors).to.deep.include({ path: 'spec.template.spec.activeDeadlineSeconds', message: 'Invalid value: 0: must be greater than or equal to 1' });
  });
});
