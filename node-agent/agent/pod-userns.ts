import type { Pod } from '../../proto/objects/pod.js';
import type { IdRange, PodIdRanges } from '../userns/id-ranges.js';
import { IdRangesExhaustedError } from '../userns/id-ranges.js';
import type { EventReporter } from './event-reporter.js';

/** The reason a pod fails with when the node has no user namespace range left for it. */
export const NO_ID_RANGE_REASON = 'UserNamespaceRangesExhausted';

/**
 * PodIds is used for what a pod worker gets for its pod's user namespace: no namespace
 * (`hostUsers` unset or true), the pod's range of host ids, or the reason the pod fails.
 */
export type PodIds =
  | { kind: 'host' }
  | { kind: 'range'; range: IdRange }
  | { kind: 'failed'; reason: string; message: string };

/**
 * podIds gives a pod with `hostUsers: false` its range of host ids (the same one again for a
 * pod that holds one, after an agent restart too). A node with no range left fails the pod with
 * a reason and a Warning event, as the kubelet fails a pod it cannot admit; any other error
 * (the allocation could not be written) is thrown, and the worker tries again.
 */
export async function podIds(pod: Pod, ranges: PodIdRanges, events: EventReporter): Promise<PodIds> {
  if (pod.spec.hostUsers !== false) return { kind: 'host' };
  try {
    return { kind: 'range', range: await ranges.allocate(pod.metadata.uid ?? '') };
  } catch (err) {
    if (!(err instanceof IdRangesExhaustedError)) throw err;
    events.pod(pod, 'Warning', NO_ID_RANGE_REASON, err.message);
    return { kind: 'failed', reason: NO_ID_RANGE_REASON, message: err.message };
  }
}
