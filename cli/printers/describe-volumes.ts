/**
 * What `describe` prints of volumes, as kubectl does: each container's `Mounts:` lines and the
 * pod's (or pod template's) `Volumes:` section, one block of fields per volume.
 */
import type { Container } from '../../proto/objects/pod.js';
import type { KeyToPath, Volume, VolumeProjection } from '../../proto/objects/volume.js';

/** mountTexts is a container's mounts as kubectl prints them: `/etc/config from config (ro)`, `(rw,path="sub")`. */
export function mountTexts(c: Container): string[] {
  return (c.volumeMounts ?? []).map((m) => {
    const flags = [m.readOnly ? 'ro' : 'rw', ...(m.subPath ? [`path=${JSON.stringify(m.subPath)}`] : [])];
    return `${m.mountPath} from ${m.name} (${flags.join(',')})`;
  });
}

const optional = (value: boolean | undefined): string => String(value ?? false);
const items = (list: KeyToPath[] | undefined): string => (list ?? []).map((i) => `${i.key} -> ${i.path}`).join(', ');

/** volumeFields is the `Key: value` fields kubectl prints under one volume's name. */
export function volumeFields(v: Volume): Array<[string, string]> {
  if (v.emptyDir) {
    const limit = v.emptyDir.sizeLimit;
    return [['Type', 'EmptyDir (a temporary directory that shares a pod\'s lifetime)'], ['Medium', v.emptyDir.medium ?? ''], ['SizeLimit', limit === undefined ? '<unset>' : String(limit)]];
  }
  if (v.hostPath) return [['Type', 'HostPath (bare host directory volume)'], ['Path', v.hostPath.path], ['HostPathType', v.hostPath.type ?? '']];
  if (v.configMap) {
    const c = v.configMap;
    return [['Type', 'ConfigMap (a volume populated by a ConfigMap)'], ['Name', c.name], ['Optional', optional(c.optional)], ...(c.items?.length ? [['Items', items(c.items)] as [string, string]] : [])];
  }
  if (v.secret) {
    const s = v.secret;
    return [['Type', 'Secret (a volume populated by a Secret)'], ['SecretName', s.secretName], ['Optional', optional(s.optional)], ...(s.items?.length ? [['Items', items(s.items)] as [string, string]] : [])];
  }
  if (v.downwardAPI) {
    const files = (v.downwardAPI.items ?? []).map((i) => `${i.fieldRef?.fieldPath ?? i.resourceFieldRef?.resource ?? ''} -> ${i.path}`);
    return [['Type', 'DownwardAPI (a volume populated by information about the pod)'], ['Items', files.join(', ')]];
  }
  if (v.projected) return [['Type', 'Projected (a volume that contains injected data from multiple sources)'], ...(v.projected.sources ?? []).flatMap(projectionFields)];
  return [['Type', '<unknown>']];
}

function projectionFields(p: VolumeProjection): Array<[string, string]> {
  if (p.configMap) return [['ConfigMapName', p.configMap.name], ['ConfigMapOptional', optional(p.configMap.optional)]];
  if (p.secret) return [['SecretName', p.secret.name], ['SecretOptional', optional(p.secret.optional)]];
  if (p.downwardAPI) return [['DownwardAPI', 'true']];
  return [];
}
