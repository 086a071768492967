import type { Condition } from './meta.js';

/**
 * Reading and writing `status.conditions` the Kubernetes way, for every side of the contract:
 * the agent (pod conditions), the scheduler (PodScheduled), the controllers (Deployment
 * Progressing, node Ready) and the CLI (READY columns).
 */

/** HasConditions is any object whose status may carry conditions (Pod, Node, Deployment…). */
export interface HasConditions {
  status?: { conditions?: readonly Condition[] } | undefined;
}

/** findCondition is the condition of this type, if the list has one. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** isConditionTrue: the object has a condition of this type with status True. */
export function isConditionTrue(object: HasConditions, type: string): boolean {
  return findCondition(object.status?.conditions, type)?.status === 'True';
}

/** isReady: a pod or node whose Ready condition is True. */
export function isReady(object: HasConditions): boolean {
  return isConditionTrue(object, 'Ready');
}

/**
 * transitionTime is the lastTransitionTime `next` should carry: the previous one while the
 * status stays the same, `now` when it changes (or the condition is new).
 */
export function transitionTime(previous: readonly Condition[] | undefined, next: Pick<Condition, 'type' | 'status'>, now: string): string {
  const before = findCondition(previous, next.type);
  return before?.status === next.status && before.lastTransitionTime ? before.lastTransitionTime : now;
}

/**
 * setCondition returns the conditions with `next` in place of the one of its type (appended
 * when new). The transition time moves only when the status changes; a condition whose status,
 * reason and message are unchanged is kept exactly as it is (unless `refreshUpdateTime`), so
 * recomputing a status does not cause a write. `lastUpdateTime` is set to `now` on conditions
 * that carry one (Deployment conditions).
 */
export function setCondition(conditions: readonly Condition[] | undefined, next: Condition, now: string, options: { refreshUpdateTime?: boolean } = {}): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const current = i >= 0 ? list[i] : undefined;
  const same = current && current.status === next.status && current.reason === next.reason && current.message === next.message;
  // refreshUpdateTime: the same condition, but something happened that it should be dated by (Deployment progress).
  if (same && !(options.refreshUpdateTime && current.lastUpdateTime !== now)) return list;
  const merged: Condition = { ...next, lastTransitionTime: transitionTime(conditions, next, now) };
  if ('lastUpdateTime' in next || current?.lastUpdateTime !== undefined) merged.lastUpdateTime = now;
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}
