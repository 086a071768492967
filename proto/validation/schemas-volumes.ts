import { any, arr, bool, int, obj, oneOf, quantity, str } from './schema-builder.js';
import type { Schema } from './schema-builder.js';

/**
 * JSON Schemas of a pod's `volumes` and a container's `volumeMounts` (Kubernetes' field names).
 * The volume sources Berth does not have are accepted by the schema and refused by name in
 * checks-volumes.ts, so the error says "not supported" rather than "unknown field".
 */

/** Kubernetes' volume sources Berth does not support (refused by checks-volumes.ts). */
export const UNSUPPORTED_VOLUME_SOURCES = [
  'persistentVolumeClaim', 'nfs', 'iscsi', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'glusterfs',
  'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'fc', 'azureFile', 'azureDisk', 'vsphereVolume', 'quobyte',
  'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
] as const;

const mode = int(0, 0o777);
const keyToPath = obj({ key: str(), path: str(), mode }, { required: ['key', 'path'] });
const fieldRef = obj({ apiVersion: str(), fieldPath: str() }, { required: ['fieldPath'] });
const resourceFieldRef = obj({ containerName: str(), resource: str(), divisor: quantity }, { required: ['resource'] });
const downwardItems = arr(obj({ path: str(), fieldRef, resourceFieldRef, mode }, { required: ['path'] }));

const configMapSource = { name: str(), items: arr(keyToPath), optional: bool };
const secretSource = { items: arr(keyToPath), optional: bool };

const volumeProjection = obj(
  {
    configMap: obj(configMapSource),
    secret: obj({ name: str(), ...secretSource }),
    downwardAPI: obj({ items: downwardItems }),
  },
  { unsupported: ['serviceAccountToken', 'clusterTrustBundle'] },
);

/** One entry of `spec.volumes`. */
export const volume: Schema = obj(
  {
    name: str(),
    emptyDir: obj({ medium: oneOf('', 'Memory'), sizeLimit: quantity }),
    hostPath: obj({ path: str(), type: oneOf('', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice') }, { required: ['path'] }),
    configMap: obj({ ...configMapSource, defaultMode: mode }),
    secret: obj({ secretName: str(), ...secretSource, defaultMode: mode }),
    downwardAPI: obj({ items: downwardItems, defaultMode: mode }),
    projected: obj({ sources: arr(volumeProjection), defaultMode: mode }),
    ...Object.fromEntries(UNSUPPORTED_VOLUME_SOURCES.map((s) => [s, any])),
  },
  { required: ['name'] },
);

/** One entry of a container's `volumeMounts`. */
export const volumeMount: Schema = obj(
  {
    name: str(),
    mountPath: str(),
    readOnly: bool,
    subPath: str(),
    mountPropagation: oneOf('None', 'HostToContainer', 'Bidirectional'),
  },
  { required: ['name', 'mountPath'], unsupported: ['subPathExpr', 'recursiveReadOnly'] },
);
