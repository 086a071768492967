import type { Container, PodSpec } from '../objects/pod.js';
import type { DownwardAPIVolumeFile, KeyToPath, Volume, VolumeProjection } from '../objects/volume.js';
import { isQuantity, parseQuantity } from '../quantity.js';
import type { CheckOutput } from './check.js';
import { dns1123Label } from './names.js';
import { joinPath, quote } from './problems.js';
import { UNSUPPORTED_VOLUME_SOURCES } from './schemas-volumes.js';

const SOURCES = ['emptyDir', 'hostPath', 'configMap', 'secret', 'downwardAPI', 'projected'] as const;
const PROJECTIONS = ['configMap', 'secret', 'downwardAPI'] as const;
/** The pod fields a downwardAPI volume file may show (Kubernetes': metadata only). */
const VOLUME_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels', 'metadata.annotations'];
const SUBSCRIPT = /^metadata\.(labels|annotations)\['.+'\]$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * checkVolumes checks `spec.volumes` and every container's `volumeMounts` at `path` (`spec`):
 * names unique, exactly one source Berth supports, item paths that stay inside their volume,
 * mounts that name a volume, absolute and distinct mount paths, relative subPaths without `..`,
 * mountPropagation `None` only.
 */
export function checkVolumes(spec: PodSpec, path: string, out: CheckOutput): void {
  const names = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    const vpath = joinPath(joinPath(path, 'volumes'), i);
    const reason = dns1123Label(v.name);
    if (reason) out.error(joinPath(vpath, 'name'), `Invalid value: ${quote(v.name)}: ${reason}`);
    else if (names.has(v.name)) out.error(joinPath(vpath, 'name'), `Duplicate value: ${quote(v.name)}`);
    names.add(v.name);
    checkSource(v, vpath, spec.containers, out);
  });
  const all: [Container, string][] = [
    ...(spec.initContainers ?? []).map((c, i): [Container, string] => [c, joinPath(joinPath(path, 'initContainers'), i)]),
    ...spec.containers.map((c, i): [Container, string] => [c, joinPath(joinPath(path, 'containers'), i)]),
  ];
  for (const [c, cpath] of all) checkMounts(c, joinPath(cpath, 'volumeMounts'), names, out);
}

function checkSource(v: Volume, path: string, containers: Container[], out: CheckOutput): void {
  const record = v as unknown as Record<string, unknown>;
  for (const unsupported of UNSUPPORTED_VOLUME_SOURCES) {
    if (record[unsupported] !== undefined) out.error(joinPath(path, unsupported), `Unsupported value: ${unsupported} volumes are not supported by Berth: supported volume types: ${SOURCES.map(quote).join(', ')}`);
  }
  const given = SOURCES.filter((s) => v[s] !== undefined);
  if (given.length === 0 && !UNSUPPORTED_VOLUME_SOURCES.some((s) => record[s] !== undefined)) out.error(path, 'Required value: must specify a volume type');
  if (given.length > 1) out.error(joinPath(path, given[1] ?? ''), 'Forbidden: may not specify more than 1 volume type');
  if (v.emptyDir?.sizeLimit !== undefined) checkQuantity(v.emptyDir.sizeLimit, joinPath(joinPath(path, 'emptyDir'), 'sizeLimit'), out);
  if (v.hostPath && !v.hostPath.path.startsWith('/')) out.error(joinPath(joinPath(path, 'hostPath'), 'path'), `Invalid value: ${quote(v.hostPath.path)}: must be an absolute path`);
  if (v.hostPath && v.hostPath.path.split('/').includes('..')) out.error(joinPath(joinPath(path, 'hostPath'), 'path'), `Invalid value: ${quote(v.hostPath.path)}: must not contain '..'`);
  if (v.configMap) {
    if (!v.configMap.name) out.error(joinPath(joinPath(path, 'configMap'), 'name'), 'Required value');
    checkItems(v.configMap.items, joinPath(path, 'configMap'), out);
  }
  if (v.secret) {
    if (!v.secret.secretName) out.error(joinPath(joinPath(path, 'secret'), 'secretName'), 'Required value');
    checkItems(v.secret.items, joinPath(path, 'secret'), out);
  }
  if (v.downwardAPI) checkDownward(v.downwardAPI.items ?? [], joinPath(path, 'downwardAPI'), containers, out);
  (v.projected?.sources ?? []).forEach((s, i) => checkProjection(s, joinPath(joinPath(joinPath(path, 'projected'), 'sources'), i), containers, out));
}

function checkProjection(s: VolumeProjection, path: string, containers: Container[], out: CheckOutput): void {
  // serviceAccountToken and clusterTrustBundle are warned about by the schema (Berth has no service account tokens) and count as the one source.
  const ignoredKinds = ['serviceAccountToken', 'clusterTrustBundle'].filter((k) => (s as Record<string, unknown>)[k] !== undefined);
  const given = PROJECTIONS.filter((p) => s[p] !== undefined);
  if (given.length + ignoredKinds.length !== 1) out.error(path, 'Invalid value: must specify exactly 1 of: `configMap`, `secret`, `downwardAPI`');
  if (s.configMap) {
    if (!s.configMap.name) out.error(joinPath(joinPath(path, 'configMap'), 'name'), 'Required value');
    checkItems(s.configMap.items, joinPath(path, 'configMap'), out);
  }
  if (s.secret) {
    if (!s.secret.name) out.error(joinPath(joinPath(path, 'secret'), 'name'), 'Required value');
    checkItems(s.secret.items, joinPath(path, 'secret'), out);
  }
  if (s.downwardAPI) checkDownward(s.downwardAPI.items ?? [], joinPath(path, 'downwardAPI'), containers, out);
}

function checkItems(items: KeyToPath[] | undefined, path: string, out: CheckOutput): void {
  (items ?? []).forEach((item, i) => {
    const ipath = joinPath(joinPath(path, 'items'), i);
    if (!CONFIG_KEY.test(item.key)) out.error(joinPath(ipath, 'key'), `Invalid value: ${quote(item.key)}: a valid config key must consist of alphanumeric characters, '-', '_' or '.'`);
    checkFilePath(item.path, joinPath(ipath, 'path'), out);
  });
}

function checkDownward(items: DownwardAPIVolumeFile[], path: string, containers: Container[], out: CheckOutput): void {
  items.forEach((item, i) => {
    const ipath = joinPath(joinPath(path, 'items'), i);
    checkFilePath(item.path, joinPath(ipath, 'path'), out);
    if ((item.fieldRef === undefined) === (item.resourceFieldRef === undefined)) out.error(ipath, 'Invalid value: must specify exactly 1 of: `fieldRef`, `resourceFieldRef`');
    const fieldPath = item.fieldRef?.fieldPath;
    if (fieldPath !== undefined && !VOLUME_FIELD_PATHS.includes(fieldPath) && !SUBSCRIPT.test(fieldPath)) {
      out.error(joinPath(joinPath(ipath, 'fieldRef'), 'fieldPath'), `Unsupported value: ${quote(fieldPath)}: supported values: ${[...VOLUME_FIELD_PATHS, "metadata.labels['<KEY>']", "metadata.annotations['<KEY>']"].map(quote).join(', ')}`);
    }
    const named = item.resourceFieldRef?.containerName;
    if (item.resourceFieldRef && !named) out.error(joinPath(joinPath(ipath, 'resourceFieldRef'), 'containerName'), 'Required value');
    else if (named && !containers.some((c) => c.name === named)) out.error(joinPath(joinPath(ipath, 'resourceFieldRef'), 'containerName'), `Invalid value: ${quote(named)}: must be the name of a container in this pod`);
  });
}

/** A file path inside a volume: relative, no `..` element (it would leave the volume). */
function checkFilePath(p: string, path: string, out: CheckOutput): void {
  if (p === '') out.error(path, 'Required value');
  else if (p.startsWith('/')) out.error(path, `Invalid value: ${quote(p)}: must be a relative path`);
  else if (p.split('/').includes('..')) out.error(path, `Invalid value: ${quote(p)}: must not contain '..'`);
  else if (p.startsWith('..')) out.error(path, `Invalid value: ${quote(p)}: must not start with '..'`);
}

function checkQuantity(q: string | number, path: string, out: CheckOutput): void {
  if (!isQuantity(q)) out.error(path, `Invalid value: ${quote(q)}: must be a quantity such as 64Mi or 1G`);
  else if (parseQuantity(q) < 0) out.error(path, `Invalid value: ${quote(q)}: must be greater than or equal to 0`);
}

function checkMounts(c: Container, path: string, volumes: ReadonlySet<string>, out: CheckOutput): void {
  const seen = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    const mpath = joinPath(path, i);
    if (!volumes.has(m.name)) out.error(joinPath(mpath, 'name'), `Not found: ${quote(m.name)}`);
    if (!m.mountPath.startsWith('/')) out.error(joinPath(mpath, 'mountPath'), `Invalid value: ${quote(m.mountPath)}: must be an absolute path`);
    const normalized = m.mountPath.replace(/\/+$/, '') || '/';
    if (seen.has(normalized)) out.error(joinPath(mpath, 'mountPath'), `Invalid value: ${quote(m.mountPath)}: must be unique`);
    seen.add(normalized);
    if (m.subPath !== undefined && m.subPath !== '') {
      if (m.subPath.startsWith('/')) out.error(joinPath(mpath, 'subPath'), `Invalid value: ${quote(m.subPath)}: must be a relative path`);
      else if (m.subPath.split('/').includes('..')) out.error(joinPath(mpath, 'subPath'), `Invalid value: ${quote(m.subPath)}: must not contain '..'`);
    }
    const propagation = m.mountPropagation as string | undefined;
    if (propagation !== undefined && propagation !== 'None') out.error(joinPath(mpath, 'mountPropagation'), `Unsupported value: ${quote(propagation)}: supported values: "None"`);
  });
}
