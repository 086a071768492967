import type { Pod } from '../../proto/objects/pod.js';
import { RESOURCE } from '../../proto/resources.js';
import { ConflictError, FailedPreconditionError } from '../errors.js';
import { deleteObject } from '../store/guarded-change.js';
import type { ObjectStore } from '../store/object-store.js';

const pods = RESOURCE.pods;
const MAX_ATTEMPTS = 20;

/** FinishRequest is one NodeAPI.FinishPodTermination call. */
export interface FinishRequest {
  nodeName: string;
  namespace: string;
  name: string;
  uid: string;
}

/**
 * finishRefusal says why a node may not remove this pod, or undefined when it may: the pod must
 * be this instance (uid), bound to the calling node, and terminating (have a deletionTimestamp).
 * Pure.
 */
export function finishRefusal(pod: Pod, request: FinishRequest): string | undefined {
  const subject = `pod ${request.namespace}/${request.name}`;
  if (request.uid && pod.metadata.uid !== request.uid) return `${subject} is another instance now (uid ${pod.metadata.uid ?? 'none'}, not ${request.uid})`;
  if (pod.spec.nodeName !== request.nodeName) return `${subject} is not bound to node ${request.nodeName}`;
  if (!pod.metadata.deletionTimestamp) return `${subject} is not being deleted (no deletionTimestamp): only a terminating pod can be finished`;
  return undefined;
}

/**
 * finishPodTermination is the last step of a graceful deletion: the agent of the pod's node has
 * stopped every container of it, and the pod object goes. The delete is guarded on the revision
 * checked, so a pod changed meanwhile is checked again. NotFoundError when the pod is gone
 * (a force delete got there first: the agent has nothing left to do); FailedPreconditionError
 * when finishRefusal refuses it; the uid is required so a new pod of the same name is never removed.
 */
export async function finishPodTermination(store: ObjectStore, request: FinishRequest): Promise<void> {
  if (!request.uid) throw new FailedPreconditionError(`finishing pod ${request.namespace}/${request.name} needs its uid`);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const pod = (await store.get(pods, request.namespace, request.name)) as Pod;
    const refusal = finishRefusal(pod, request);
    if (refusal) throw new FailedPreconditionError(refusal);
    const outcome = await store.transact(deleteObject(pods, request.namespace, request.name, pod.metadata.resourceVersion ?? '0'));
    if (outcome.committed) return;
  }
  throw new ConflictError(pods.resource, request.name, 'it kept changing while being finished');
}
