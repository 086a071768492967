import fc from 'fast-check';

/**
 * Arbitraries for the apply fuzz test: valid manifests of every kind apply takes, and mutations
 * of them (a field set to a value of the wrong type, out of range or huge; a field removed, added
 * or renamed), plus documents that are any JSON at all.
 */

const NAMES = ['a', 'b', 'c'];
const NAMESPACES = ['default', 'fz', 'missing'];

const podSpec = { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '1'], ports: [{ containerPort: 80 }], resources: { requests: { cpu: '100m', memory: '16Mi' } } }] };
const template = { metadata: { labels: { app: 'fz' } }, spec: podSpec };

/** seedManifest is a valid manifest of one kind, named and placed as given. */
function seedManifest(kind: number, name: string, namespace: string): Record<string, unknown> {
  const meta = { name, namespace, labels: { app: 'fz' }, annotations: { note: 'seed' } };
  const seeds: Record<string, unknown>[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fz' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { key: 'value' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'Opaque', stringData: { password: 'p' } },
    { apiVersion: 'v1', kind: 'Service', metadata: meta, spec: { selector: { app: 'fz' }, ports: [{ port: 80, targetPort: 8080 }] } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { replicas: 2, selector: { matchLabels: { app: 'fz' } }, template } },
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta, spec: { replicas: 1, selector: { matchLabels: { app: 'fz' } }, template } },
    { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta, spec: { selector: { matchLabels: { app: 'fz' } }, template } },
    { apiVersion: 'batch/v1', kind: 'Job', metadata: meta, spec: { backoffLimit: 1, template: { spec: { ...podSpec, restartPolicy: 'Never' } } } },
    { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: podSpec },
  ];
  return structuredClone(seeds[kind % seeds.length] as Record<string, unknown>);
}

/** Values that tend to break code: int32 edges, unsafe integers, empty and huge strings, the wrong shapes. */
const SPECIAL_VALUES: unknown[] = [
  2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53, -1, 0, 0.5, 1e300, '', '0', '-', '../..', 'a.b/c', 'ä'.repeat(20), 'x'.repeat(64),
  'x'.repeat(257 * 1024), null, true, false, [], {}, [null], { '': 1 }, JSON.parse('{"__proto__": {"polluted": true}}'), ['a', 1],
];

const value = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_VALUES) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.integer() },
);

/** Mutation is one change to a manifest, at the `at`-th of its fields (counting every nested one). */
export interface Mutation {
  at: number;
  op: 'set' | 'delete' | 'add' | 'rename';
  value: unknown;
  key: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('set' as const, 'delete' as const, 'add' as const, 'rename' as const),
  value,
  key: fc.oneof(fc.constantFrom('name', 'spec', 'replicas', 'metadata', 'kind', '__proto__', 'constructor', 'data'), fc.string({ maxLength: 12 })),
});

type Container = Record<string, unknown> | unknown[];

/** Every (container, key) in a manifest, depth first. */
function fields(root: Container): [Container, string | number][] {
  const out: [Container, string | number][] = [];
  const walk = (node: Container) => {
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    for (const key of keys) {
      out.push([node, key]);
      const child = (node as Record<string | number, unknown>)[key];
      if (typeof child === 'object' && child !== null) walk(child as Container);
    }
  };
  walk(root);
  return out;
}

/** mutate applies mutations to a copy of `manifest`. */
export function mutate(manifest: Record<string, unknown>, mutations: Mutation[]): unknown {
  const copy = structuredClone(manifest);
  for (const m of mutations) {
    // The special values are shared between runs: each use gets its own copy, so no mutation changes one (or nests it in itself).
    const value = structuredClone(m.value);
    const all = fields(copy);
    if (all.length === 0) break;
    const [parent, key] = all[m.at % all.length] as [Container, string | number];
    const target = parent as Record<string | number, unknown>;
    if (m.op === 'set') target[key] = value;
    else if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete target[key];
    } else if (m.op === 'add') {
      const child = target[key];
      if (Array.isArray(child)) child.push(value);
      else if (typeof child === 'object' && child !== null) define(child as Record<string, unknown>, m.key, value);
      else if (!Array.isArray(parent)) define(target, m.key, value);
    } else if (!Array.isArray(parent) && m.key !== key) {
      define(target, m.key, target[key]);
      delete target[key];
    }
  }
  return copy;
}

/** define sets a property as JSON.parse would, even one named __proto__. */
function define(object: Record<string | number, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/** manifestDocument: mostly a mutated valid manifest, sometimes a valid one, sometimes any JSON. */
export const manifestDocument: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.nat(), fc.constantFrom(...NAMES), fc.constantFrom(...NAMESPACES), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([k, n, ns, ms]) => mutate(seedManifest(k, n, ns), ms)) },
  { weight: 4, arbitrary: fc.tuple(fc.nat(), fc.constantFrom(...NAMES), fc.constantFrom('default', 'fz')).map(([k, n, ns]) => seedManifest(k, n, ns)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** manifestFile is what one `berth apply -f` sends: one to four documents. */
export const manifestFile: fc.Arbitrary<unknown[]> = fc.array(manifestDocument, { minLength: 1, maxLength: 4 });
