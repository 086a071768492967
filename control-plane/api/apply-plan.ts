import type { BerthObject } from '../../proto/objects/meta.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { LAST_APPLIED_ANNOTATION, validateObject } from '../../proto/validation/index.js';
import type { ObjectProblem } from '../../proto/validation/index.js';
import { applyDefaults } from '../objects/defaults.js';
import type { NewObjectIdentity } from '../objects/identity.js';
import { canonicalJson, deepCopy, deepEqual } from '../objects/json.js';
import type { Service } from '../../proto/objects/service.js';
import type { Job } from '../../proto/objects/job.js';
import { generateJobSelector } from '../objects/job-selector.js';
import { immutableFieldProblems } from './immutable-fields.js';
import { patchServiceUpdate } from './service-allocation.js';
import type { ClaimChanges } from './service-allocation.js';
import { threeWayMerge } from './merge.js';
import { storedSizeProblems } from './object-size.js';

// The annotation that records what the user last applied, as kubectl's does (its size is counted with the object's).
export { LAST_APPLIED_ANNOTATION };

export type ApplyAction = 'created' | 'configured' | 'unchanged';

/**
 * ApplyPlan is what applying one document will do, computed without writing anything. A write
 * may carry claim changes (a Service's address and ports), committed in the same transaction.
 */
export type ApplyPlan =
  | { kind: 'write'; action: 'created' | 'configured'; object: BerthObject; claims?: ClaimChanges }
  | { kind: 'unchanged'; object: BerthObject }
  | { kind: 'invalid'; errors: ObjectProblem[] };

/** Metadata only the API sets; a manifest's values for these are ignored. */
const SYSTEM_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const;

/** userIntent strips what a user cannot set through apply: status and system metadata. */
export function userIntent(document: BerthObject): BerthObject {
  const intent = deepCopy(document);
  delete intent.status;
  for (const field of SYSTEM_METADATA) delete intent.metadata[field];
  if (intent.metadata.annotations) {
    delete intent.metadata.annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(intent.metadata.annotations).length === 0) delete intent.metadata.annotations;
  }
  return intent;
}

/**
 * planApply decides what applying `intent` over `live` (absent for a new object) does: the
 * merged, defaulted object and whether it is created, configured or unchanged.
 */
export function planApply(info: ResourceInfo, intent: BerthObject, live: BerthObject | undefined, identity: NewObjectIdentity): ApplyPlan {
  const lastApplied = canonicalJson(intent);
  if (!live) {
    const object = deepCopy(intent);
    object.metadata.annotations = { ...object.metadata.annotations, [LAST_APPLIED_ANNOTATION]: lastApplied };
    applyDefaults(object);
    if (object.kind === 'Service') patchServiceUpdate(object as Service, undefined);
    object.metadata.uid = identity.uid;
    object.metadata.creationTimestamp = identity.creationTimestamp;
    object.metadata.generation = 1;
    if (object.kind === 'Job') {
      // A selector the user wrote must still select the pods the generated labels give.
      generateJobSelector(object as Job);
      const errors = validateObject(object).errors;
      if (errors.length > 0) return { kind: 'invalid', errors };
    }
    const tooLarge = storedSizeProblems(intent, object);
    if (tooLarge.length > 0) return { kind: 'invalid', errors: tooLarge };
    // The caller validated the document; defaults only fill absent fields with valid values.
    return { kind: 'write', action: 'created', object };
  }

  const previous = parseLastApplied(live.metadata.annotations?.[LAST_APPLIED_ANNOTATION]);
  const liveIntent = deepCopy(live);
  delete liveIntent.status;
  const desired = deepCopy(intent);
  desired.metadata.annotations = { ...desired.metadata.annotations, [LAST_APPLIED_ANNOTATION]: lastApplied };
  const merged = threeWayMerge(liveIntent, previous, desired) as BerthObject;
  applyDefaults(merged);
  if (merged.kind === 'Service') patchServiceUpdate(merged as Service, live as Service);
  // System metadata always comes from the live object.
  for (const field of SYSTEM_METADATA) {
    const value = live.metadata[field];
    if (value === undefined) delete merged.metadata[field];
    else (merged.metadata as unknown as Record<string, unknown>)[field] = value;
  }
  if (live.metadata.ownerReferences && !intent.metadata.ownerReferences) merged.metadata.ownerReferences = live.metadata.ownerReferences;
  if (live.status !== undefined) merged.status = live.status;

  const errors = [...validateObject(merged).errors, ...immutableFieldProblems(info, live, merged), ...storedSizeProblems(intent, merged)];
  if (errors.length > 0) return { kind: 'invalid', errors };
  if (deepEqual(merged, live)) return { kind: 'unchanged', object: live };
  if (!deepEqual(merged.spec, live.spec)) merged.metadata.generation = (live.metadata.generation ?? 0) + 1;
  return { kind: 'write', action: 'configured', object: merged };
}

function parseLastApplied(text: string | undefined): BerthObject | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as BerthObject;
  } catch {
    return undefined;
  }
}
