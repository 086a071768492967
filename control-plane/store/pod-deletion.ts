import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE, objectKey } from '../../proto/resources.js';
import { ConflictError } from '../errors.js';
import { planPodDeletion } from '../objects/pod-deletion.js';
import type { PodDeleteRequest } from '../objects/pod-deletion.js';
import { withRevision } from './codec.js';
import { combine, deleteObject, updateObject } from './guarded-change.js';
import type { ObjectStore } from './object-store.js';

const pods = RESOURCE.pods;
const nodes = RESOURCE.nodes;
const MAX_ATTEMPTS = 20;

/** PodDeleteOptions: the request, plus the guards a deleter needs. */
export interface PodDeleteOptions extends PodDeleteRequest {
  /** Only if the pod is still at this resourceVersion (ConflictError otherwise). */
  precondition?: string;
  /** Only this instance of the pod (ConflictError when the name now holds another). */
  uid?: string;
  now?: () => number;
}

/**
 * PodDeletion is what a delete did: `removed` (the object is gone; `pod` is its last state) or
 * `terminating` (it has a deletionTimestamp and stays until its node's agent finishes it; `pod`
 * is as stored now).
 */
export type PodDeletion = { kind: 'removed'; pod: Pod } | { kind: 'terminating'; pod: Pod };

/**
 * deletePod is the one way a pod is deleted, by the API and by every controller (planPodDeletion
 * says what happens). Each write is guarded on the revision read and planned again on conflict;
 * marking a pod terminating is also guarded on its Node still existing, so a pod whose node was
 * deleted meanwhile is removed rather than left waiting for an agent that is gone. Throws
 * NotFoundError when the pod does not exist, ConflictError when a precondition does not hold.
 */
export async function deletePod(store: ObjectStore, namespace: string, name: string, options: PodDeleteOptions = {}): Promise<PodDeletion> {
  const now = options.now ?? Date.now;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const pod = (await store.get(pods, namespace, name)) as Pod;
    if (options.precondition && pod.metadata.resourceVersion !== options.precondition) throw new ConflictError(pods.resource, name);
    if (options.uid && pod.metadata.uid !== options.uid) throw new ConflictError(pods.resource, name, `the pod is now another instance (uid ${pod.metadata.uid ?? 'none'}, not ${options.uid})`);
    const revision = pod.metadata.resourceVersion ?? '0';
    const nowMs = now();
    // The node is read only when the plan depends on it (a bound pod that would not go at once anyway).
    let plan = planPodDeletion(pod, options, nowMs, () => true);
    const nodeName = pod.spec.nodeName;
    if (plan.kind !== 'remove' && nodeName) {
      const node = await store.tryGet(nodes, undefined, nodeName);
      plan = planPodDeletion(pod, options, nowMs, () => node !== undefined);
    }
    if (plan.kind === 'unchanged') return { kind: 'terminating', pod };
    if (plan.kind === 'remove') {
      const outcome = await store.transact(deleteObject(pods, namespace, name, revision));
      if (outcome.committed) return { kind: 'removed', pod };
      continue;
    }
    const nodeGuard = { key: objectKey(nodes, undefined, nodeName ?? ''), expect: 'present' as const };
    const outcome = await store.transact(combine([updateObject(pods, plan.pod)], [nodeGuard]));
    if (outcome.committed) return { kind: 'terminating', pod: withRevision(plan.pod, outcome.revision) as Pod };
  }
  throw new ConflictError(pods.resource, name, 'it kept changing while being deleted');
}
