import { randomInt } from 'node:crypto';
import type { ReplicaSet, ReplicaSetStatus } from '../../proto/objects/apps.js';
import type { Pod } from '../../proto/objects/pod.js';
import { MAX_TXN_OPS, MAX_TXN_VALUE_BYTES } from '../store/guarded-change.js';
import { isPodActive, isPodAvailable } from './controller-util.js';
import { findCondition, isReady } from '../../proto/objects/conditions.js';
import type { NewObjectIdentity } from '../objects/identity.js';
import { deepCopy } from '../objects/json.js';
import { templatePod } from './template-pod.js';

/** The pure decisions of the ReplicaSet controller, tested without etcd. */

const NAME_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** generatedPodName is `<rs-name>-<5 random [a-z0-9]>`, like Kubernetes' generateName. */
export function generatedPodName(replicaSetName: string, random: (n: number) => number = randomInt): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_ALPHABET[random(NAME_ALPHABET.length)];
  return `${replicaSetName}-${suffix}`;
}

/**
 * podFromTemplate builds one replica: the template's labels, annotations and spec, the
 * ReplicaSet as controller owner, identity chosen by the caller before the write, and the API's
 * defaults (the controller writes to the store directly, so it defaults as the API would).
 */
export function podFromTemplate(rs: ReplicaSet, name: string, identity: NewObjectIdentity): Pod {
  return templatePod(rs, rs.spec.template, name, identity);
}

/**
 * scaleDownOrder sorts pods so the ones to delete first come first (Kubernetes' ActivePods
 * ranking, simplified): a pod not yet on a node costs nothing to remove; then one that is not
 * ready serves no traffic; then the newest, which has had the least time to warm up. Name breaks
 * ties so the choice is deterministic.
 */
export function compareForScaleDown(a: Pod, b: Pod): number {
  const scheduled = Number(Boolean(a.spec.nodeName)) - Number(Boolean(b.spec.nodeName));
  if (scheduled !== 0) return scheduled;
  const ready = Number(isReady(a)) - Number(isReady(b));
  if (ready !== 0) return ready;
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta > tb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? 1 : a.metadata.name > b.metadata.name ? -1 : 0;
}

/** podsToDelete picks `count` of the active pods to remove on scale-down. */
export function podsToDelete(active: readonly Pod[], count: number): Pod[] {
  return [...active].sort(compareForScaleDown).slice(0, Math.max(0, count));
}

/** ReplicaDecision is one reconcile step's plan: what to create and what to delete. */
export type ReplicaDecision = { kind: 'steady' } | { kind: 'create'; count: number; failed: Pod[] } | { kind: 'delete'; pods: Pod[]; failed: Pod[] };

/**
 * decideReplicas compares the pods a ReplicaSet owns with spec.replicas. Failed pods (a lost
 * node's, for instance) are not active: they are deleted and replaced.
 */
export function decideReplicas(desired: number, owned: readonly Pod[]): ReplicaDecision {
  const active = owned.filter(isPodActive);
  const failed = owned.filter((p) => p.status?.phase === 'Failed' && !p.metadata.deletionTimestamp);
  const diff = active.length - desired;
  if (diff < 0) return { kind: 'create', count: -diff, failed };
  if (diff > 0) return { kind: 'delete', pods: podsToDelete(active, diff), failed };
  return failed.length > 0 ? { kind: 'delete', pods: [], failed } : { kind: 'steady' };
}

/**
 * slowStartBatches splits `count` creations into the batches a reconcile commits one after the
 * other, stopping at the first that fails. Kubernetes grows its batches 1, 2, 4, ... so that a
 * template that cannot be created (quota, admission) fails once rather than hundreds of times:
 * each of its batches is as many API calls. Berth commits a batch as ONE etcd transaction, all
 * or nothing, so a failing batch costs one failed write whatever its size, while every further
 * batch costs a round trip before the next may start (seven for 100 replicas, each slower while
 * the cluster is busy starting the pods of the batches before). So the first batch is still a
 * single pod, the probe that stops a hopeless step after one write as Kubernetes' does, and the
 * rest follow in batches as large as one transaction holds (`perBatch`).
 */
export function slowStartBatches(count: number, perBatch: number): number[] {
  if (count <= 0) return [];
  const batches = [1];
  const size = Math.max(1, perBatch);
  for (let remaining = count - 1; remaining > 0; remaining -= size) batches.push(Math.min(size, remaining));
  return batches;
}

/** podsPerTransaction: how many pods of `podBytes` (encoded) one etcd transaction may create. */
export function podsPerTransaction(podBytes: number): number {
  return Math.max(1, Math.min(MAX_TXN_OPS, Math.floor(MAX_TXN_VALUE_BYTES / Math.max(1, podBytes))));
}

/** isPodTerminating: deleted but not yet gone, and not finished (Kubernetes' FilterTerminatingPods). */
export function isPodTerminating(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return pod.metadata.deletionTimestamp !== undefined && phase !== 'Succeeded' && phase !== 'Failed';
}

/**
 * replicaSetStatus counts the owned pods as Kubernetes reports them. Terminating pods are not
 * replicas any more, but they still run, so they are counted apart (terminatingReplicas): the
 * Deployment controller adds them to the surge.
 */
export function replicaSetStatus(rs: ReplicaSet, owned: readonly Pod[], nowMs: number): ReplicaSetStatus {
  const active = owned.filter(isPodActive);
  const templateLabels = rs.spec.template.metadata?.labels ?? {};
  const fullyLabeled = active.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v));
  const minReady = rs.spec.minReadySeconds ?? 0;
  const status: ReplicaSetStatus = {
    replicas: active.length,
    fullyLabeledReplicas: fullyLabeled.length,
    readyReplicas: active.filter(isReady).length,
    availableReplicas: active.filter((p) => isPodAvailable(p, minReady, nowMs)).length,
    terminatingReplicas: owned.filter(isPodTerminating).length,
    observedGeneration: rs.metadata.generation ?? 0,
  };
  if (rs.status?.conditions && rs.status.conditions.length > 0) status.conditions = deepCopy(rs.status.conditions);
  return status;
}

/**
 * nextAvailabilityCheck: when some pods are ready but not yet available (minReadySeconds), how
 * long until the first becomes available, so the controller looks again then.
 */
export function nextAvailabilityCheckMs(rs: ReplicaSet, owned: readonly Pod[], nowMs: number): number | undefined {
  const minReady = rs.spec.minReadySeconds ?? 0;
  if (minReady <= 0) return undefined;
  let soonest: number | undefined;
  for (const p of owned.filter(isPodActive)) {
    if (!isReady(p) || isPodAvailable(p, minReady, nowMs)) continue;
    const since = Date.parse(findCondition(p.status?.conditions, 'Ready')?.lastTransitionTime ?? '');
    const wait = Number.isFinite(since) ? since + minReady * 1000 - nowMs : minReady * 1000;
    soonest = Math.min(soonest ?? Infinity, Math.max(wait, 0) + 100);
  }
  return soonest;
}
