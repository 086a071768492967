import type { Pod, PodStatus } from '../../proto/objects/pod.js';
import type { ProbedContainer } from '../probes/pod-probes.js';
import { containerIdUri } from './container-naming.js';
import type { ContainerRecord } from './container-record.js';
import { sidecars } from './init-progress.js';

/**
 * probedContainers is what a pod worker tells its PodProbes after a sync: each app container and
 * sidecar of the spec with its running instance, if any. `reported` is the pod's status as last reported: an
 * instance it showed ready starts out ready (an agent restart must not make endpoints flap).
 */
export function probedContainers(pod: Pod, records: ReadonlyMap<string, ContainerRecord>, reported: PodStatus | undefined): ProbedContainer[] {
  // Sidecars are probed like app containers (other init containers may have no probes).
  return [...sidecars(pod), ...pod.spec.containers].map((spec) => {
    const cur = records.get(spec.name)?.current;
    if (cur?.state !== 'running') return { spec };
    const before = [...(reported?.initContainerStatuses ?? []), ...(reported?.containerStatuses ?? [])].find((s) => s.name === spec.name);
    const readyBefore = before?.ready === true && before.containerID === containerIdUri(cur.id);
    return { spec, running: { id: cur.id, startedAtMs: Date.parse(cur.startedAt ?? '') || Date.now(), ...(readyBefore ? { readyBefore } : {}) } };
  });
}
