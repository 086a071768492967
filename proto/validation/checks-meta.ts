import type { BerthObject, ObjectMeta } from '../objects/meta.js';
import type { CheckOutput } from './check.js';
import { dns1035Label, dns1123Label, dns1123Subdomain, labelValue, qualifiedName } from './names.js';
import type { NameRule } from './names.js';
import { joinPath, quote } from './problems.js';
import { checkAnnotationsSize } from './checks-size.js';

/** Which rule each kind's name follows (as in Kubernetes' validation). */
const NAME_RULES: Record<string, NameRule> = {
  Namespace: dns1123Label,
  Service: dns1035Label,
};

export function checkObjectName(object: BerthObject, out: CheckOutput): void {
  const name = object.metadata.name;
  if (name === '') {
    out.error('metadata.name', 'Required value: name is required');
    return;
  }
  const reason = (NAME_RULES[object.kind] ?? dns1123Subdomain)(name);
  if (reason) out.error('metadata.name', `Invalid value: ${quote(name)}: ${reason}`);
}

export function checkNamespaceName(object: BerthObject, out: CheckOutput): void {
  const ns = object.metadata.namespace;
  if (ns === undefined) return;
  const reason = dns1123Label(ns);
  if (reason) out.error('metadata.namespace', `Invalid value: ${quote(ns)}: ${reason}`);
}

/** checkLabels applies to an object's labels and annotations, and to a pod template's. */
export function checkLabels(meta: Partial<ObjectMeta> | undefined, path: string, out: CheckOutput): void {
  for (const [key, value] of Object.entries(meta?.labels ?? {})) {
    const keyReason = qualifiedName(key);
    if (keyReason) out.error(joinPath(path, 'labels'), `Invalid value: ${quote(key)}: ${keyReason}`);
    const valueReason = labelValue(value);
    if (valueReason) out.error(joinPath(joinPath(path, 'labels'), key), `Invalid value: ${quote(value)}: ${valueReason}`);
  }
  for (const key of Object.keys(meta?.annotations ?? {})) {
    const keyReason = qualifiedName(key);
    if (keyReason) out.error(joinPath(path, 'annotations'), `Invalid value: ${quote(key)}: ${keyReason}`);
  }
  checkAnnotationsSize(meta, path, out);
}

export function checkSelectorLabels(selector: Record<string, string> | undefined, path: string, out: CheckOutput): void {
  for (const [key, value] of Object.entries(selector ?? {})) {
    const keyReason = qualifiedName(key);
    if (keyReason) out.error(path, `Invalid value: ${quote(key)}: ${keyReason}`);
    const valueReason = labelValue(value);
    if (valueReason) out.error(joinPath(path, key), `Invalid value: ${quote(value)}: ${valueReason}`);
  }
}
