import type { Deployment } from '../../proto/objects/apps.js';
import type { ConfigMap, Secret } from '../../proto/objects/config.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { Service } from '../../proto/objects/service.js';
import type { ResourceInfo } from '../../proto/resources.js';
import type { ObjectProblem } from '../../proto/validation/index.js';
import { deepEqual } from '../objects/json.js';

/** Fields Kubernetes refuses to change after creation, with its wording. */
export function immutableFieldProblems(info: ResourceInfo, live: BerthObject, next: BerthObject): ObjectProblem[] {
  const problems: ObjectProblem[] = [];
  if (info.kind === 'Deployment' || info.kind === 'ReplicaSet') {
    const a = (live as Deployment).spec.selector;
    const b = (next as Deployment).spec.selector;
    if (!deepEqual(a, b)) problems.push({ path: 'spec.selector', message: `Invalid value: ${JSON.stringify(b)}: field is immutable` });
  }
  if (info.kind === 'Service') {
    const a = (live as Service).spec;
    const b = (next as Service).spec;
    // As in Kubernetes, a change to or from ExternalName may add or drop the address.
    const externalName = a.type === 'ExternalName' || b.type === 'ExternalName';
    if (!externalName && a.clusterIP && b.clusterIP && a.clusterIP !== b.clusterIP) problems.push({ path: 'spec.clusterIP', message: `Invalid value: ${JSON.stringify(b.clusterIP)}: field is immutable` });
  }
  if (info.kind === 'ConfigMap' || info.kind === 'Secret') problems.push(...immutableConfigProblems(live as ConfigMap | Secret, next as ConfigMap | Secret));
  return problems;
}

/** A ConfigMap or Secret marked `immutable` keeps its data (and stays immutable); a Secret keeps its type. Never quotes a value. */
function immutableConfigProblems(live: ConfigMap | Secret, next: ConfigMap | Secret): ObjectProblem[] {
  const problems: ObjectProblem[] = [];
  if (live.kind === 'Secret' && (live.type ?? 'Opaque') !== ((next as Secret).type ?? 'Opaque')) problems.push({ path: 'type', message: `Invalid value: ${JSON.stringify((next as Secret).type)}: field is immutable` });
  if (live.immutable !== true) return problems;
  const forbidden = 'Forbidden: field is immutable when `immutable` is set';
  if (next.immutable !== true) problems.push({ path: 'immutable', message: forbidden });
  if (!deepEqual(live.data ?? {}, next.data ?? {})) problems.push({ path: 'data', message: forbidden });
  if (live.kind === 'ConfigMap' && !deepEqual(live.binaryData ?? {}, (next as ConfigMap).binaryData ?? {})) problems.push({ path: 'binaryData', message: forbidden });
  return problems;
}
