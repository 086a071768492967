import { expect } from 'chai';
import type { Deployment, DeploymentStatus, ReplicaSet } from '../../../proto/objects/apps.js';
import { desiredTemplate, newReplicaSet } from '../../../control-plane/controllers/deployment-logic.js';
import { autoRollback, rolledBackCondition } from '../../../control-plane/controllers/rollback.js';
import { deployment } from './fixtures.js';

const T = '2026-01-01T00:00:00Z';

/** revision is the ReplicaSet of image busybox:<tag> at a revision, marked available or not. */
function revision(tag: string, n: number, available: boolean, annotations: Record<string, string> = {}): ReplicaSet {
  const d = deployment(3, `busybox:${tag}`);
  const rs = newReplicaSet(d, desiredTemplate(d), `h${tag.replace('.', '')}`, n, 0, 4, { uid: tag, creationTimestamp: T });
  rs.metadata.annotations = { ...rs.metadata.annotations, ...annotations, ...(available ? { 'berth.dev/available': 'true' } : {}) };
  return rs;
}

function optedIn(image = 'busybox:1.39'): Deployment {
  const d = deployment(3, image);
  d.metadata.annotations = { 'berth.dev/auto-rollback': 'true' };
  return d;
}

const stuck: DeploymentStatus = {
  conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-h139" has timed out progressing.' }],
};

describe('Automatic rollback logic', () => {
  const old = [revision('1.35', 1, true), revision('1.36', 2, true), revision('1.37', 3, false)];
  const failing = revision('1.39', 4, false);

  it('rolls back to the newest older revision that became available, naming both revisions and why', () => {
    const rollback = autoRollback(optedIn(), stuck, failing, old);
    expect(rollback?.target.metadata.name).to.equal('web-h136');
    expect(rollback?.message).to.equal('rolled back from revision 4 to revision 2: ReplicaSet "web-h139" has timed out progressing.');
    // The template as a Deployment holds it: the pod-template-hash label is the ReplicaSet's own.
    expect(rollback?.template.metadata?.labels).to.deep.equal({ app: 'web' });
    expect(rollback?.template.spec.containers[0]?.image).to.equal('busybox:1.36');
  });

  it('does nothing unless opted in, stuck, not paused, not already rolled back, and with an available revision', () => {
    expect(autoRollback(deployment(3, 'busybox:1.39'), stuck, failing, old)).to.equal(undefined);
    expect(autoRollback(optedIn(), { conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }] }, failing, old)).to.equal(undefined);
    const paused = optedIn();
    paused.spec.paused = true;
    expect(autoRollback(paused, stuck, failing, old)).to.equal(undefined);
    const again: DeploymentStatus = { conditions: [...(stuck.conditions ?? []), { type: 'RolledBack', status: 'True', reason: 'ProgressDeadlineExceeded', message: 'rolled back from revision 4 to revision 2: x' }] };
    expect(autoRollback(optedIn(), again, failing, old)).to.equal(undefined);
    expect(autoRollback(optedIn(), stuck, failing, [revision('1.37', 3, false)])).to.equal(undefined);
  });

  it('turns RolledBack False with NewRevision once the template is not the rolled-back one any more', () => {
    // Revision 2 came back as revision 5 and remembers 2.
    const back = revision('1.36', 5, true, { 'deployment.kubernetes.io/revision-history': '2' });
    const d = optedIn('busybox:1.36');
    d.status = { conditions: [{ type: 'RolledBack', status: 'True', reason: 'ProgressDeadlineExceeded', message: 'rolled back from revision 4 to revision 2: stuck' }] };
    expect(rolledBackCondition(d, [failing, back], back)).to.equal(undefined);
    const changed = { ...optedIn('busybox:1.40'), status: d.status };
    const next = revision('1.40', 6, false);
    expect(rolledBackCondition(changed, [failing, back, next], next)).to.deep.include({ type: 'RolledBack', status: 'False', reason: 'NewRevision', message: 'revision 6 replaced the rolled-back revision 2' });
  });
});
