import type { Container, Pod, RestartPolicy } from '../../proto/objects/pod.js';
import type { ProbeResult } from '../probes/probe-state.js';
import { newRecord, toView, type ContainerRecord } from './container-record.js';
import { initRestartPolicy, isSidecar } from './init-progress.js';
import { sidecarsNoLongerNeeded } from './pod-decision.js';
import type { ContainerView } from './pod-status.js';

/** ProbeVerdicts is used for what the views need of a pod's probes (PodProbes). */
export interface ProbeVerdicts {
  result(spec: Container, kind: 'readiness'): ProbeResult | undefined;
  startupSucceeded(instanceId: string): boolean;
}

/** PodViews is used for the ContainerViews computePodStatus shapes: app containers and init containers. */
export interface PodViews {
  containers: ContainerView[];
  initContainers: ContainerView[];
}

/**
 * podViews is what a pod worker knows of each container of its pod, as pod-status.ts takes it:
 * each container under the restart policy that applies to it (a terminating pod restarts
 * nothing: its ended containers show as terminated, not as waiting for a restart; init
 * containers retry unless the pod's policy is Never; sidecars always, until no longer needed),
 * with its probes' verdicts for app containers and sidecars.
 */
export function podViews(pod: Pod, records: ReadonlyMap<string, ContainerRecord>, probes: ProbeVerdicts, podLabel: string, terminating: boolean): PodViews {
  // With init containers, a container not created yet waits with PodInitializing, as the kubelet shows it.
  const creating = (pod.spec.initContainers ?? []).length > 0 ? 'PodInitializing' : 'ContainerCreating';
  const sidecarPolicy: RestartPolicy = terminating || sidecarsNoLongerNeeded(pod, records) ? 'Never' : 'Always';
  const view = (spec: Container, policy: RestartPolicy | undefined, probed: boolean): ContainerView => {
    const rec = records.get(spec.name) ?? newRecord(spec.name);
    const base = toView(spec, rec, policy, podLabel, creating);
    if (!probed) return base;
    const readiness = probes.result(spec, 'readiness');
    const startupPassed = spec.startupProbe && rec.current ? probes.startupSucceeded(rec.current.id) : undefined;
    return { ...base, ...(readiness ? { readiness } : {}), ...(startupPassed !== undefined ? { startupPassed } : {}) };
  };
  const initPolicy = terminating ? 'Never' : initRestartPolicy(pod);
  return {
    containers: pod.spec.containers.map((spec) => view(spec, terminating ? 'Never' : pod.spec.restartPolicy, true)),
    initContainers: (pod.spec.initContainers ?? []).map((spec) => (isSidecar(spec) ? { ...view(spec, sidecarPolicy, true), sidecar: true } : view(spec, initPolicy, false))),
  };
}
