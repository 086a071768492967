import type { Pod } from './objects/pod.js';

/** ConfigRef names a ConfigMap or Secret a pod refers to. */
export interface ConfigRef {
  kind: 'ConfigMap' | 'Secret';
  namespace: string;
  name: string;
}

/** configRefKey is the identity of a reference: `ConfigMap/namespace/name`. */
export function configRefKey(ref: ConfigRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/**
 * podConfigRefs lists every ConfigMap and Secret a pod refers to, each once: from the env
 * (`valueFrom.configMapKeyRef` / `secretKeyRef`) and `envFrom` of every container, init ones
 * included, and from its `configMap`, `secret` and `projected` volumes.
 */
export function podConfigRefs(pod: Pod): ConfigRef[] {
  const namespace = pod.metadata.namespace ?? 'default';
  const refs = new Map<string, ConfigRef>();
  const add = (kind: ConfigRef['kind'], name: string | undefined) => {
    if (!name) return;
    const ref = { kind, namespace, name };
    refs.set(configRefKey(ref), ref);
  };
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const e of c.env ?? []) {
      add('ConfigMap', e.valueFrom?.configMapKeyRef?.name);
      add('Secret', e.valueFrom?.secretKeyRef?.name);
    }
    for (const f of c.envFrom ?? []) {
      add('ConfigMap', f.configMapRef?.name);
      add('Secret', f.secretRef?.name);
    }
  }
  for (const v of pod.spec.volumes ?? []) {
    add('ConfigMap', v.configMap?.name);
    add('Secret', v.secret?.secretName);
    for (const source of v.projected?.sources ?? []) {
      add('ConfigMap', source.configMap?.name);
      add('Secret', source.secret?.name);
    }
  }
  return [...refs.values()];
}
