import { DIVISORS, ENV_FIELD_PATHS_SUPPORTED, parseFieldPath, RESOURCE_FIELDS, resourceOf } from '../downward.js';
import type { EnvVar, ResourceFieldSelector } from '../objects/pod.js';
import type { EnvFromSource, KeySelector } from '../objects/volume.js';
import { configKey } from './checks-config.js';
import { isQuantity, parseQuantity } from '../quantity.js';
import type { CheckOutput } from './check.js';
import { envVarName, qualifiedName } from './names.js';
import { joinPath, quote } from './problems.js';

const SOURCES = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const;

const supported = (values: readonly string[]) => values.map((v) => quote(v)).join(', ');

/**
 * checkEnv checks a container's env at `path` (`...containers[0].env`): names, and each
 * `valueFrom` (one source, a field or resource the downward API offers, a divisor Kubernetes
 * accepts). `containers` are the pod's container names, for `resourceFieldRef.containerName`.
 */
export function checkEnv(env: EnvVar[], path: string, containers: ReadonlySet<string>, out: CheckOutput): void {
  env.forEach((e, i) => {
    const epath = joinPath(path, i);
    const reason = envVarName(e.name);
    if (reason) out.error(joinPath(epath, 'name'), `Invalid value: ${quote(e.name)}: ${reason}`);
    if (e.valueFrom) checkValueFrom(e, joinPath(epath, 'valueFrom'), containers, out);
  });
}

function checkValueFrom(e: EnvVar, path: string, containers: ReadonlySet<string>, out: CheckOutput): void {
  const from = e.valueFrom ?? {};
  const sources = SOURCES.filter((s) => from[s] !== undefined);
  if (sources.length === 0) out.error(path, 'Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`');
  if (sources.length > 1) out.error(path, 'Invalid value: "": may not have more than one field specified at a time');
  if (sources.length > 0 && e.value !== undefined && e.value !== '') out.error(path, 'Invalid value: "": may not be specified when `value` is not empty');
  if (from.fieldRef) checkFieldPath(from.fieldRef.fieldPath, joinPath(joinPath(path, 'fieldRef'), 'fieldPath'), out);
  if (from.resourceFieldRef) checkResourceField(from.resourceFieldRef, joinPath(path, 'resourceFieldRef'), containers, out);
  if (from.configMapKeyRef) checkKeySelector(from.configMapKeyRef, joinPath(path, 'configMapKeyRef'), out);
  if (from.secretKeyRef) checkKeySelector(from.secretKeyRef, joinPath(path, 'secretKeyRef'), out);
}

function checkKeySelector(ref: KeySelector, path: string, out: CheckOutput): void {
  if (!ref.name) out.error(joinPath(path, 'name'), 'Required value');
  const reason = configKey(ref.key);
  if (ref.key === '') out.error(joinPath(path, 'key'), 'Required value');
  else if (reason) out.error(joinPath(path, 'key'), `Invalid value: ${quote(ref.key)}: ${reason}`);
}

/** checkEnvFrom checks a container's envFrom at `path`: one source each, named, and a prefix that can start a variable name. */
export function checkEnvFrom(envFrom: EnvFromSource[], path: string, out: CheckOutput): void {
  envFrom.forEach((source, i) => {
    const spath = joinPath(path, i);
    const refs = [source.configMapRef && 'configMapRef', source.secretRef && 'secretRef'].filter((r): r is string => !!r);
    if (refs.length === 0) out.error(spath, 'Invalid value: "": must specify one of: `configMapRef` or `secretRef`');
    if (refs.length > 1) out.error(spath, 'Invalid value: "": may not have more than one field specified at a time');
    for (const field of refs) {
      const name = (source[field as 'configMapRef' | 'secretRef'] as { name: string }).name;
      if (!name) out.error(joinPath(joinPath(spath, field), 'name'), 'Required value');
    }
    if (source.prefix) {
      const reason = envVarName(source.prefix);
      if (reason) out.error(joinPath(spath, 'prefix'), `Invalid value: ${quote(source.prefix)}: ${reason}`);
    }
  });
}

function checkFieldPath(fieldPath: string, path: string, out: CheckOutput): void {
  const ref = parseFieldPath(fieldPath);
  if (!ref) {
    out.error(path, `Unsupported value: ${quote(fieldPath)}: supported values: ${supported(ENV_FIELD_PATHS_SUPPORTED)}`);
    return;
  }
  if (ref.kind === 'field') return;
  const reason = qualifiedName(ref.key);
  if (reason) out.error(path, `Invalid value: ${quote(ref.key)}: ${reason}`);
}

function checkResourceField(ref: ResourceFieldSelector, path: string, containers: ReadonlySet<string>, out: CheckOutput): void {
  if (ref.containerName !== undefined && ref.containerName !== '' && !containers.has(ref.containerName)) {
    out.error(joinPath(path, 'containerName'), `Invalid value: ${quote(ref.containerName)}: must be the name of a container in this pod`);
  }
  const resource = resourceOf(ref.resource);
  if (!resource) {
    out.error(joinPath(path, 'resource'), `Unsupported value: ${quote(ref.resource)}: supported values: ${supported(RESOURCE_FIELDS)}`);
    return;
  }
  if (ref.divisor === undefined) return;
  const divisor = ref.divisor;
  const allowed = DIVISORS[resource];
  const ok = isQuantity(divisor) && allowed.some((d) => parseQuantity(d) === parseQuantity(divisor));
  if (!ok) out.error(joinPath(path, 'divisor'), `Invalid value: ${quote(divisor)}: only divisor's values ${allowed.join(', ')} are supported with the ${resource} resource`);
}
