import type { BerthObject } from '../../proto/objects/meta.js';
import { objectKey, RESOURCE } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { encodeObject } from '../store/codec.js';
import { combine, createObject, deleteObject, releaseClaims, takeClaims, updateObject } from '../store/guarded-change.js';
import type { GuardedChange, KeyGuard } from '../store/guarded-change.js';
import type { AtomicWrite } from '../store/atomic-commit.js';
import type { ApplyPlan } from './apply-plan.js';

/**
 * applyWrite is the store change that writes one planned document, with its claims, and the
 * change that takes it back (see commitAtomically): a created object is deleted again, a
 * configured one gets its previous value back, claims taken are released and claims released
 * are taken again. `mustExist` is the namespace the object needs, when the same apply does not create it.
 */
export function applyWrite(info: ResourceInfo, plan: ApplyPlan & { kind: 'write' }, live: BerthObject | undefined, mustExist: string | undefined): AtomicWrite {
  const { namespace, name } = plan.object.metadata;
  const key = objectKey(info, namespace, name);
  const take = plan.claims?.take ?? [];
  const release = plan.claims?.release ?? [];
  const guards: KeyGuard[] = mustExist ? [{ key: objectKey(RESOURCE.namespaces, undefined, mustExist), expect: 'present' }] : [];
  const write = plan.action === 'created' ? createObject(info, plan.object) : updateObject(info, plan.object);
  return {
    change: combine([write, takeClaims(take), releaseClaims(release)], guards),
    undo: (revision) => {
      const restore: GuardedChange = live
        ? { guards: [{ key, expect: 'revision', revision }], writes: [{ key, put: encodeObject(live) }] }
        : deleteObject(info, namespace, name, revision);
      return combine([restore, releaseClaims(take), takeClaims(release)]);
    },
  };
}
