/**
 * How the agent names the containers it creates and finds them again (after its own restart,
 * everything it needs is in the runtime's labels): one runtime container per instance of a
 * pod's container; instance N is the container after N restarts, so N is its restartCount.
 */
import type { ContainerStatus as RuntimeContainer } from '../runtime/index.js';

export const LABEL_POD_UID = 'io.berth.pod.uid';
export const LABEL_POD_NAMESPACE = 'io.berth.pod.namespace';
export const LABEL_POD_NAME = 'io.berth.pod.name';
export const LABEL_CONTAINER = 'io.berth.container.name';
export const LABEL_INSTANCE = 'io.berth.container.instance';

/** containerId is the runtime id of instance `instance` of container `name` of pod `uid`. */
export function containerId(uid: string, name: string, instance: number): string {
  return `${uid}_${name}_${instance}`;
}

/** containerLabels are kept with every instance, so a restarted agent can adopt it. */
export function containerLabels(pod: { uid: string; namespace: string; name: string }, container: string, instance: number): Record<string, string> {
  return {
    [LABEL_POD_UID]: pod.uid,
    [LABEL_POD_NAMESPACE]: pod.namespace,
    [LABEL_POD_NAME]: pod.name,
    [LABEL_CONTAINER]: container,
    [LABEL_INSTANCE]: String(instance),
  };
}

/** instanceOf reads the instance number from a runtime container's labels (-1 when not ours). */
export function instanceOf(c: Pick<RuntimeContainer, 'labels'>): number {
  const n = Number(c.labels[LABEL_INSTANCE]);
  return Number.isInteger(n) && n >= 0 ? n : -1;
}

/** containerIdUri is the containerID a status reports, in Kubernetes' `<runtime>://<id>` form. */
export function containerIdUri(id: string): string {
  return `berth://${id}`;
}

/** groupByPod sorts the runtime's containers by pod uid, then container name, newest instance first. */
export function groupByPod(containers: RuntimeContainer[]): Map<string, Map<string, RuntimeContainer[]>> {
  const out = new Map<string, Map<string, RuntimeContainer[]>>();
  for (const c of containers) {
    const uid = c.labels[LABEL_POD_UID];
    const name = c.labels[LABEL_CONTAINER];
    if (!uid || !name || instanceOf(c) < 0) continue;
    let byName = out.get(uid);
    if (!byName) out.set(uid, (byName = new Map()));
    const list = byName.get(name) ?? [];
    list.push(c);
    byName.set(name, list);
  }
  for (const byName of out.values()) for (const list of byName.values()) list.sort((a, b) => instanceOf(b) - instanceOf(a));
  return out;
}
