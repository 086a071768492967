import type { Deployment, ReplicaSet } from '../objects/apps.js';
import type { ConfigMap, Secret } from '../objects/config.js';
import type { BerthObject } from '../objects/meta.js';
import type { Pod } from '../objects/pod.js';
import type { Service } from '../objects/service.js';
import type { Check } from './check.js';
import { checkConfigMap, checkSecret } from './checks-config.js';
import { checkLabels, checkNamespaceName, checkObjectName } from './checks-meta.js';
import { checkPodSpec } from './checks-pod.js';
import { checkServiceClusterIP, checkServicePorts, checkServiceSelector, checkServiceType } from './checks-service.js';
import {
  checkDeploymentStrategy,
  checkDeploymentTemplate,
  checkProgressDeadline,
  checkReplicaSetTemplate,
} from './checks-workloads.js';

/**
 * The semantic checks, by kind, in the order they run. They assume the object already passed
 * its JSON Schema (types and required fields are right), so each check only relates fields.
 * Metadata checks come first so a bad name is reported even when the spec has problems too.
 */
const COMMON: Check<BerthObject>[] = [
  { name: 'object-name', run: checkObjectName },
  { name: 'namespace-name', run: checkNamespaceName },
  { name: 'labels-and-annotations', run: (o, out) => checkLabels(o.metadata, 'metadata', out) },
];

const BY_KIND: Record<string, Check<never>[]> = {
  Deployment: [
    { name: 'deployment-template', run: (d: Deployment, out) => checkDeploymentTemplate(d, out) },
    { name: 'deployment-strategy', run: (d: Deployment, out) => checkDeploymentStrategy(d, out) },
    { name: 'deployment-progress-deadline', run: (d: Deployment, out) => checkProgressDeadline(d, out) },
  ],
  ReplicaSet: [{ name: 'replicaset-template', run: (rs: ReplicaSet, out) => checkReplicaSetTemplate(rs, out) }],
  Pod: [{ name: 'pod-spec', run: (p: Pod, out) => checkPodSpec(p.spec, 'spec', out) }],
  Service: [
    { name: 'service-type', run: (s: Service, out) => checkServiceType(s, out) },
    { name: 'service-cluster-ip', run: (s: Service, out) => checkServiceClusterIP(s, out) },
    { name: 'service-ports', run: (s: Service, out) => checkServicePorts(s, out) },
    { name: 'service-selector', run: (s: Service, out) => checkServiceSelector(s, out) },
  ],
  ConfigMap: [{ name: 'configmap-data', run: (cm: ConfigMap, out) => checkConfigMap(cm, out) }],
  Secret: [{ name: 'secret-data', run: (s: Secret, out) => checkSecret(s, out) }],
};

/** checksFor lists the checks that apply to a kind, common ones first. */
export function checksFor(kind: string): Check<BerthObject>[] {
  return [...COMMON, ...((BY_KIND[kind] ?? []) as unknown as Check<BerthObject>[])];
}
