import type { Deployment, ReplicaSet } from '../../proto/objects/apps.js';
import { specReplicas, waitsForTermination } from './rolling.js';
import type { ScaleStep } from './rolling.js';

/**
 * RecreateStep is the next move of a Recreate rollout (Kubernetes' recreate.go), in order:
 * scale every old ReplicaSet to 0; wait until none of their pods runs; then create the new
 * ReplicaSet if needed and give it spec.replicas.
 */
export type RecreateStep =
  | { kind: 'scaleDownOld'; steps: ScaleStep[] }
  | { kind: 'waitForOldPods'; running: number }
  | { kind: 'scaleUpNew'; replicas: number };

/**
 * oldPodsRunning counts the pods old ReplicaSets may still run. A ReplicaSet whose controller
 * has not reported on its latest spec counts its last known pods; terminating pods count
 * unless podReplacementPolicy is TerminationStarted.
 */
export function oldPodsRunning(d: Deployment, old: readonly ReplicaSet[]): number {
  return old.reduce((n, rs) => {
    const observed = (rs.status?.observedGeneration ?? 0) >= (rs.metadata.generation ?? 0);
    const running = (rs.status?.replicas ?? 0) + (waitsForTermination(d) ? (rs.status?.terminatingReplicas ?? 0) : 0);
    return n + (observed ? running : Math.max(running, 1));
  }, 0);
}

/** recreateStep decides the next move of a Recreate rollout from the ReplicaSets' specs and statuses. */
export function recreateStep(d: Deployment, old: readonly ReplicaSet[]): RecreateStep {
  const active = old.filter((rs) => specReplicas(rs) > 0);
  if (active.length > 0) return { kind: 'scaleDownOld', steps: active.map((rs) => ({ rs, replicas: 0 })) };
  const running = oldPodsRunning(d, old);
  if (running > 0) return { kind: 'waitForOldPods', running };
  return { kind: 'scaleUpNew', replicas: d.spec.replicas ?? 1 };
}
