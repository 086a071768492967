import type { BerthObject } from '../../proto/objects/meta.js';
import type { Service } from '../../proto/objects/service.js';
import { qualifiedResource } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { ConflictError, InvalidError } from '../errors.js';
import { withRevision } from '../store/codec.js';
import { combine, releaseClaims, takeClaims, updateObject } from '../store/guarded-change.js';
import type { ObjectStore } from '../store/object-store.js';
import type { ApplyPlan } from './apply-plan.js';
import { invalidMessage, parseMergePatch, planPatch } from './patch.js';
import { isAllocated } from './service-allocation.js';
import type { ServiceAllocator } from './service-allocator.js';

const MAX_ATTEMPTS = 50;

/**
 * patchService is patchObject for a Service: the patched Service is allocated like an applied
 * one (a new type gets its node ports, an old one gives them up) and written with its claim
 * changes in one guarded transaction, re-read and patched again when anything it was planned on
 * changed (unless the caller gave a resourceVersion precondition, which then fails).
 */
export async function patchService(
  store: ObjectStore,
  allocator: ServiceAllocator,
  info: ResourceInfo,
  namespace: string | undefined,
  name: string,
  patchJson: string,
  precondition?: string,
): Promise<{ object: BerthObject; changed: boolean }> {
  const patch = parseMergePatch(patchJson);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const live = (await store.get(info, namespace, name)) as Service;
    if (precondition && live.metadata.resourceVersion !== precondition) throw new ConflictError(qualifiedResource(info), name);
    const patched = planPatch(info, live, patch);
    const first: ApplyPlan = patched.kind === 'write' ? { kind: 'write', action: 'configured', object: patched.object } : patched;
    const plan = first.kind === 'unchanged' && isAllocated(live) ? first : allocator.plan(first, live, await allocator.readUsed());
    if (plan.kind === 'invalid') throw new InvalidError(invalidMessage(info, name, plan.errors), plan.errors);
    if (plan.kind === 'unchanged') return { object: live, changed: false };
    const outcome = await store.transact(combine([updateObject(info, plan.object), takeClaims(plan.claims?.take ?? []), releaseClaims(plan.claims?.release ?? [])]));
    if (outcome.committed) return { object: withRevision(plan.object, outcome.revision), changed: true };
  }
  throw new ConflictError(qualifiedResource(info), name, `still conflicting after ${MAX_ATTEMPTS} attempts`);
}
