import type { BerthObject } from '../../proto/objects/meta.js';
import { qualifiedResource } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { validateObject } from '../../proto/validation/index.js';
import type { ObjectProblem } from '../../proto/validation/index.js';
import { ConflictError, InvalidError } from '../errors.js';
import { applyDefaults } from '../objects/defaults.js';
import { mergeStringData } from '../objects/secret-string-data.js';
import type { Secret } from '../../proto/objects/config.js';
import { deepEqual } from '../objects/json.js';
import { parseJsonInput } from './json-input.js';
import type { ObjectStore } from '../store/object-store.js';
import type { Service } from '../../proto/objects/service.js';
import { immutableFieldProblems } from './immutable-fields.js';
import { patchServiceUpdate } from './service-allocation.js';

/*
 * ClusterAPI.Patch: an RFC 7386 JSON merge patch applied to the live object, the way `kubectl
 * label`, `annotate` and `taint` change objects. Unlike apply it leaves the last-applied
 * annotation alone, so a later `berth apply` of the original manifest keeps what the patch added
 * (the three-way merge only removes what the manifest itself once set).
 */

type JsonObject = { [key: string]: unknown };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** mergePatch is RFC 7386's MergePatch(target, patch); it returns a new value and changes neither input. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** parseMergePatch reads a patch document; anything but a JSON object is refused. */
export function parseMergePatch(text: string): JsonObject {
  const patch = parseJsonInput(text, 'the patch');
  if (!isObject(patch)) throw new InvalidError('the patch must be a JSON object (an RFC 7386 merge patch)');
  return patch;
}

/** Fields that name the object: a patch may repeat them but never change them. */
const IDENTITY_FIELDS: readonly (readonly string[])[] = [
  ['apiVersion'],
  ['kind'],
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'uid'],
  ['metadata', 'creationTimestamp'],
];

/** Fields the cluster writes (generation by the API, status by controllers and agents). */
const SYSTEM_FIELDS: readonly (readonly string[])[] = [['metadata', 'generation'], ['metadata', 'deletionTimestamp'], ['metadata', 'deletionGracePeriodSeconds'], ['status']];

function at(object: unknown, path: readonly string[]): unknown {
  let value = object;
  for (const key of path) value = isObject(value) ? value[key] : undefined;
  return value;
}

/** PatchPlan is what a patch does to one live object, computed without writing. */
export type PatchPlan = { kind: 'unchanged'; object: BerthObject } | { kind: 'write'; object: BerthObject };

/**
 * planPatch applies `patch` to `live` and checks the result as apply checks a merged object:
 * identity and system fields unchanged, defaults, the validator, the immutable-field rules. A
 * problem throws InvalidError naming every field path; a resourceVersion in the patch that is not
 * the live one is a precondition that failed (ConflictError), as in Kubernetes.
 */
export function planPatch(info: ResourceInfo, live: BerthObject, patch: JsonObject): PatchPlan {
  const name = live.metadata.name;
  const wantedVersion = at(patch, ['metadata', 'resourceVersion']);
  if (typeof wantedVersion === 'string' && wantedVersion !== live.metadata.resourceVersion) throw new ConflictError(qualifiedResource(info), name);

  const next = mergePatch(live, patch) as BerthObject;
  if (!isObject(next.metadata)) throw new InvalidError(`${info.kind} "${name}" is invalid: metadata: Required value`);
  if (live.metadata.resourceVersion === undefined) delete next.metadata.resourceVersion;
  else next.metadata.resourceVersion = live.metadata.resourceVersion;

  const problems: ObjectProblem[] = [];
  for (const path of IDENTITY_FIELDS) {
    const value = at(next, path);
    if (!deepEqual(value ?? null, at(live, path) ?? null)) problems.push({ path: path.join('.'), message: `Invalid value: ${JSON.stringify(value ?? null)}: field is immutable` });
  }
  for (const path of SYSTEM_FIELDS) {
    if (!deepEqual(at(next, path) ?? null, at(live, path) ?? null)) problems.push({ path: path.join('.'), message: 'Forbidden: written by the cluster, not by a patch' });
  }
  if (problems.length === 0) {
    applyDefaults(next);
    if (next.kind === 'Service') patchServiceUpdate(next as Service, live as Service);
    problems.push(...validateObject(next).errors, ...immutableFieldProblems(info, live, next));
  }
  if (problems.length > 0) throw new InvalidError(invalidMessage(info, name, problems), problems);
  // As on apply: a patch's stringData lands in data and is never stored.
  if (next.kind === 'Secret') mergeStringData(next as Secret);

  if (deepEqual(next, live)) return { kind: 'unchanged', object: live };
  if (!deepEqual(next.spec, live.spec)) next.metadata.generation = (live.metadata.generation ?? 0) + 1;
  return { kind: 'write', object: next };
}

/** invalidMessage words a refused patch as Kubernetes does: `Node "n" is invalid: path: reason`. */
export function invalidMessage(info: ResourceInfo, name: string, problems: ObjectProblem[]): string {
  const each = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message));
  return `${info.kind} "${name}" is invalid: ${each.length === 1 ? each[0] : `[${each.join(', ')}]`}`;
}

/**
 * patchObject applies a merge patch to the stored object inside a guarded update: a concurrent
 * write makes it re-read and re-apply the patch, unless the caller gave a resourceVersion
 * precondition, which then fails with ConflictError. Nothing is written when the patch changes
 * nothing or is refused.
 */
export async function patchObject(
  store: ObjectStore,
  info: ResourceInfo,
  namespace: string | undefined,
  name: string,
  patchJson: string,
  precondition?: string,
): Promise<{ object: BerthObject; changed: boolean }> {
  const patch = parseMergePatch(patchJson);
  return store.guaranteedUpdate(info, namespace, name, (current) => {
    if (precondition && current.metadata.resourceVersion !== precondition) throw new ConflictError(qualifiedResource(info), name);
    const plan = planPatch(info, current, patch);
    return plan.kind === 'write' ? plan.object : undefined;
  });
}
