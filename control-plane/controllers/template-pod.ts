import type { BerthObject } from '../../proto/objects/meta.js';
import type { Pod, PodSpec, PodTemplateSpec } from '../../proto/objects/pod.js';
import { applyDefaults } from '../objects/defaults.js';
import type { NewObjectIdentity } from '../objects/identity.js';
import { deepCopy } from '../objects/json.js';
import { ownerReferenceTo } from './controller-util.js';

/**
 * templatePod builds one pod a controller creates from its owner's template: the template's
 * labels (plus `extraLabels`), annotations and spec (or `spec`, the template's adjusted by the
 * caller), the owner as controller reference, the identity the caller chose before the write,
 * and the API's defaults (controllers write to the store directly, so they default as the API
 * would). ReplicaSets, Jobs and DaemonSets all make their pods here.
 */
export function templatePod(owner: BerthObject, template: PodTemplateSpec, name: string, identity: NewObjectIdentity, extra: { labels?: Record<string, string>; spec?: PodSpec } = {}): Pod {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: owner.metadata.namespace ?? 'default',
      labels: { ...(template.metadata?.labels ?? {}), ...(extra.labels ?? {}) },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [ownerReferenceTo(owner)],
      uid: identity.uid,
      creationTimestamp: identity.creationTimestamp,
      generation: 1,
    },
    spec: extra.spec ?? deepCopy(template.spec),
    status: { phase: 'Pending' },
  };
  applyDefaults(pod);
  return pod;
}
