/**
 * The OCI pieces of a pod's user namespace (`hostUsers: false`): a new user namespace per
 * container mapping the pod's range (0 inside is `hostId` outside, for `size` ids, the same for
 * every container of the pod), and the bind mounts the agent made for the pod (volumes,
 * /etc/resolv.conf, /dev/shm) idmapped, so their files look as they are on disk (root-owned stays
 * root-owned inside) and what the container writes lands with the ids it sees. The rootfs is
 * not idmapped here: overlayfs cannot be, so its layers are (Rootfs.mount with an
 * IdmappedOverlay, berth-runtime mount-overlay). A hostPath is not idmapped: the node's files keep their owners, which the container sees
 * as the overflow id 65534 and cannot write as its root.
 */
import { InvalidSpecError } from './errors.js';
import type { OciIdMapping, OciMount, OciSpec } from './oci-types.js';

/** PodUserNamespace is used for a pod's range of host ids. */
export interface PodUserNamespace {
  hostId: number;
  size: number;
}

/**
 * inUserNamespace turns a built spec into the same container in the pod's user namespace.
 * `idmap(mount)` says whether a bind mount is idmapped (every one except a hostPath).
 */
export function inUserNamespace(spec: OciSpec, userns: PodUserNamespace, idmap: (mount: OciMount) => boolean): OciSpec {
  if (!Number.isSafeInteger(userns.hostId) || userns.hostId <= 0 || !Number.isSafeInteger(userns.size) || userns.size <= 0) {
    throw new InvalidSpecError('pod.userNamespace', `${JSON.stringify(userns)} is not a range of host ids above 0`);
  }
  const mapping = (): OciIdMapping[] => [{ containerID: 0, hostID: userns.hostId, size: userns.size }];
  return {
    ...spec,
    mounts: spec.mounts.map((m) => (m.type === 'bind' && idmap(m) ? { ...m, uidMappings: mapping(), gidMappings: mapping() } : m)),
    linux: { ...spec.linux, namespaces: [...spec.linux.namespaces, { type: 'user' }], uidMappings: mapping(), gidMappings: mapping() },
  };
}

/** checkIdsInRange refuses a process identity the pod's namespace does not map, naming the field. */
export function checkIdsInRange(userns: PodUserNamespace, ids: Array<[field: string, id: number | undefined]>): void {
  for (const [field, id] of ids) {
    if (id !== undefined && (id < 0 || id >= userns.size)) {
      throw new InvalidSpecError(field, `${id} is outside the ${userns.size} ids the pod's user namespace maps (hostUsers: false)`);
    }
  }
}
