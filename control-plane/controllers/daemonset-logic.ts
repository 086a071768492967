import type { Node, Taint } from '../../proto/objects/cluster.js';
import type { DaemonSet, DaemonSetStatus } from '../../proto/objects/daemonset.js';
import type { Pod, Toleration } from '../../proto/objects/pod.js';
import { findCondition, isReady } from '../../proto/objects/conditions.js';
import { defaultPodSpec } from '../objects/defaults.js';
import type { NewObjectIdentity } from '../objects/identity.js';
import { deepCopy } from '../objects/json.js';
import { anyTermMatches, tolerates } from '../objects/node-selection.js';
import { isPodActive, isPodAvailable } from './controller-util.js';
import { podTemplateHash } from './deployment-logic.js';
import { compareForScaleDown } from './replicaset-logic.js';
import { templatePod } from './template-pod.js';

/** The pure decisions of the DaemonSet controller, tested without etcd. */

/** The label that names the template revision a daemon pod was made from (Kubernetes' ControllerRevision hash). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';

/**
 * The tolerations Kubernetes adds to every daemon pod: a daemon keeps running on a node that is
 * unhealthy or cordoned, since it is often what the node needs (network, logs, monitoring).
 */
export const DAEMON_POD_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** daemonSetHash names the DaemonSet's current template (the value of controller-revision-hash on its new pods). */
export function daemonSetHash(ds: DaemonSet): string {
  // With the API's defaults, so a template stored without them still hashes as its pods were made.
  const template = deepCopy(ds.spec.template);
  defaultPodSpec(template.spec);
  return podTemplateHash(template);
}

/** withDaemonTolerations is the template's tolerations plus those Kubernetes adds that are not already there. */
export function withDaemonTolerations(own: readonly Toleration[] | undefined): Toleration[] {
  const list = [...(own ?? [])];
  for (const t of DAEMON_POD_TOLERATIONS) {
    if (!list.some((o) => o.key === t.key && o.effect === t.effect && (o.operator ?? 'Equal') === t.operator)) list.push({ ...t });
  }
  return list;
}

/**
 * NodePlacement says whether a DaemonSet belongs on a node (Kubernetes' NodeShouldRunDaemonPod):
 * `shouldRun` for a new pod; `shouldContinueRunning` for one already there, which only a
 * mismatched selector or an untolerated NoExecute taint removes (a NoSchedule taint added later
 * keeps what runs, as the scheduler would).
 */
export interface NodePlacement {
  shouldRun: boolean;
  shouldContinueRunning: boolean;
}

/** nodePlacement judges one node for a DaemonSet: nodeSelector, required node affinity, taints. */
export function nodePlacement(ds: DaemonSet, node: Node): NodePlacement {
  const spec = ds.spec.template.spec;
  const labels = node.metadata.labels ?? {};
  const selected = Object.entries(spec.nodeSelector ?? {}).every(([k, v]) => labels[k] === v);
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const affine = !required || anyTermMatches(required.nodeSelectorTerms, { name: node.metadata.name, labels });
  if (!selected || !affine) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = withDaemonTolerations(spec.tolerations);
  const untolerated = (node.spec.taints ?? []).filter((taint: Taint) => taint.effect !== 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint)));
  if (untolerated.some((t) => t.effect === 'NoExecute')) return { shouldRun: false, shouldContinueRunning: false };
  return { shouldRun: untolerated.length === 0, shouldContinueRunning: true };
}

/**
 * daemonPodNode is the node a daemon pod is for: where it is bound, or, while it waits for the
 * scheduler, the node its required matchFields affinity names.
 */
export function daemonPodNode(pod: Pod): string | undefined {
  if (pod.spec.nodeName) return pod.spec.nodeName;
  const term = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0];
  const field = term?.matchFields?.find((f) => f.key === 'metadata.name' && f.operator === 'In');
  return field?.values?.[0];
}

/**
 * daemonPodFor builds the daemon pod for one node, as Kubernetes does: the template with the
 * revision hash label, the daemon tolerations, and a required node affinity that names only that
 * node by `matchFields metadata.name`, so the scheduler places it there (and nowhere else).
 */
export function daemonPodFor(ds: DaemonSet, nodeName: string, hash: string, name: string, identity: NewObjectIdentity): Pod {
  const template = ds.spec.template;
  const spec = deepCopy(template.spec);
  spec.tolerations = withDaemonTolerations(spec.tolerations);
  const nodeAffinity = { ...(spec.affinity?.nodeAffinity ?? {}) };
  nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] };
  spec.affinity = { ...(spec.affinity ?? {}), nodeAffinity };
  return templatePod(ds, template, name, identity, { labels: { [CONTROLLER_REVISION_HASH_LABEL]: hash }, spec });
}

/** podsByNode groups a DaemonSet's pods by the node each is for; pods for no node are under ''. */
export function podsByNode(owned: readonly Pod[]): Map<string, Pod[]> {
  const byNode = new Map<string, Pod[]>();
  for (const pod of owned) {
    const node = daemonPodNode(pod) ?? '';
    byNode.set(node, [...(byNode.get(node) ?? []), pod]);
  }
  return byNode;
}

/** DaemonPlan is one reconcile's changes to a DaemonSet's pods: nodes to create a pod for, and pods to delete. */
export interface DaemonPlan {
  createOn: string[];
  delete: Pod[];
}

/**
 * planDaemonPods compares each node with the pods there (Kubernetes' podsShouldBeOnNode): a node
 * that should run the daemon and has no active pod gets one; failed pods are deleted (and so
 * replaced); of several active pods on one node the one to keep is the most established (the
 * scale-down order deletes the others); a node that should no longer run it, or no longer
 * exists, loses its pods. Pods that are already terminating are left to finish.
 */
export function planDaemonPods(ds: DaemonSet, nodes: readonly Node[], owned: readonly Pod[]): DaemonPlan {
  const byNode = podsByNode(owned.filter((p) => !p.metadata.deletionTimestamp));
  const plan: DaemonPlan = { createOn: [], delete: [] };
  for (const node of nodes) {
    const name = node.metadata.name;
    const pods = byNode.get(name) ?? [];
    byNode.delete(name);
    const placement = nodePlacement(ds, node);
    const active = pods.filter(isPodActive);
    plan.delete.push(...pods.filter((p) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded'));
    if (placement.shouldRun && active.length === 0) plan.createOn.push(name);
    else if (!placement.shouldContinueRunning) plan.delete.push(...active);
    else if (active.length > 1) plan.delete.push(...[...active].sort(compareForScaleDown).slice(0, active.length - 1));
  }
  for (const pods of byNode.values()) plan.delete.push(...pods);
  return plan;
}

/** maxUnavailableCount resolves maxUnavailable against the desired node count (a percentage rounds up, as Kubernetes'). */
export function maxUnavailableCount(ds: DaemonSet, desired: number): number {
  const value = ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
  if (typeof value === 'number') return value;
  const percent = Number(value.replace('%', ''));
  return Number.isFinite(percent) ? Math.ceil((percent * desired) / 100) : 1;
}

/**
 * planRollingUpdate picks the old pods to delete now (their nodes then get a pod of the new
 * template): old pods that are not available go at once; available ones only while fewer than
 * maxUnavailable nodes are without an available pod (Kubernetes' rollingUpdate with maxSurge 0).
 * Nodes go in name order, so the order of a rollout is predictable.
 */
export function planRollingUpdate(ds: DaemonSet, nodes: readonly Node[], owned: readonly Pod[], hash: string, nowMs: number): Pod[] {
  const minReady = ds.spec.minReadySeconds ?? 0;
  const byNode = podsByNode(owned.filter(isPodActive));
  const desiredNodes = nodes.filter((n) => nodePlacement(ds, n).shouldRun).map((n) => n.metadata.name).sort();
  const budget = maxUnavailableCount(ds, desiredNodes.length);
  let unavailable = 0;
  const candidates: Pod[] = [];
  const victims: Pod[] = [];
  for (const name of desiredNodes) {
    const pods = byNode.get(name) ?? [];
    const pod = pods[0];
    if (pods.length !== 1 || !pod) {
      unavailable++;
      continue;
    }
    const available = isPodAvailable(pod, minReady, nowMs);
    if (pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash) {
      if (!available) unavailable++;
    } else if (!available) victims.push(pod);
    else candidates.push(pod);
  }
  for (const pod of candidates) {
    if (unavailable >= budget) break;
    unavailable++;
    victims.push(pod);
  }
  return victims;
}

/** daemonSetStatus counts nodes and pods as Kubernetes' DaemonSet status does. */
export function daemonSetStatus(ds: DaemonSet, nodes: readonly Node[], owned: readonly Pod[], hash: string, nowMs: number): DaemonSetStatus {
  const byNode = podsByNode(owned.filter(isPodActive));
  const minReady = ds.spec.minReadySeconds ?? 0;
  let desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
  for (const node of nodes) {
    const pods = byNode.get(node.metadata.name) ?? [];
    const shouldRun = nodePlacement(ds, node).shouldRun;
    if (shouldRun) desired++;
    if (pods.length === 0) continue;
    if (!shouldRun) {
      misscheduled++;
      continue;
    }
    current++;
    const pod = [...pods].sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''))[0] as Pod;
    if (isReady(pod)) ready++;
    if (isPodAvailable(pod, minReady, nowMs)) available++;
    if (pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash) updated++;
  }
  return {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    observedGeneration: ds.metadata.generation ?? 0,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: Math.max(0, desired - available),
  };
}

/** nextAvailabilityCheckMs: with minReadySeconds, how long until the first ready pod becomes available, so status counts it then. */
export function nextAvailabilityCheckMs(ds: DaemonSet, owned: readonly Pod[], nowMs: number): number | undefined {
  const minReady = ds.spec.minReadySeconds ?? 0;
  if (minReady <= 0) return undefined;
  let soonest: number | undefined;
  for (const pod of owned.filter((p) => isPodActive(p) && isReady(p) && !isPodAvailable(p, minReady, nowMs))) {
    const since = Date.parse(findCondition(pod.status?.conditions, 'Ready')?.lastTransitionTime ?? '');
    const wait = Number.isFinite(since) ? since + minReady * 1000 - nowMs : minReady * 1000;
    soonest = Math.min(soonest ?? Infinity, Math.max(wait, 0) + 100);
  }
  return soonest;
}
