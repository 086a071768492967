import type { Deployment, ReplicaSet } from '../../../proto/objects/apps.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { desiredTemplate, newReplicaSet } from '../../../control-plane/controllers/deployment-logic.js';

/** Builders for controller unit tests: only the fields the logic reads. */

export function pod(name: string, opts: { nodeName?: string; ready?: boolean; created?: string; phase?: Pod['status'] extends infer S ? S extends { phase?: infer P } ? P : never : never; labels?: Record<string, string>; readySince?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: opts.labels ?? { app: 'web' }, creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z' },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...(opts.nodeName ? { nodeName: opts.nodeName } : {}) },
    status: {
      phase: opts.phase ?? (opts.nodeName ? 'Running' : 'Pending'),
      conditions: opts.ready === undefined ? [] : [{ type: 'Ready', status: opts.ready ? 'True' : 'False', ...(opts.readySince ? { lastTransitionTime: opts.readySince } : {}) }],
    },
  };
}

export function replicaSet(replicas: number, minReadySeconds = 0): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-abc', namespace: 'default', uid: 'rs-uid', generation: 3 },
    spec: { replicas, minReadySeconds, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  };
}

export function deployment(replicas = 3, image = 'busybox:1.35'): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 2 },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } } },
  };
}

/**
 * revisionRS is a ReplicaSet of `deployment()` named web-<name> at a revision, with a status its
 * controller has caught up on (observedGeneration 1) unless the status given says otherwise.
 */
export function revisionRS(name: string, revision: number, specReplicas: number, status: Partial<NonNullable<ReplicaSet['status']>> = {}, created = '2026-01-01T00:00:00Z'): ReplicaSet {
  const d = deployment();
  const r = newReplicaSet(d, desiredTemplate(d), name, revision, specReplicas, specReplicas, { uid: name, creationTimestamp: created });
  r.status = { replicas: 0, observedGeneration: 1, ...status };
  return r;
}
