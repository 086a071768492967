/**
 * Image layers for runtime tests. `identityLayerEntries` is a layer (as tar entries for the
 * test image builder) with /etc/passwd and /etc/group naming user `app` (uid 1000, also in
 * group 50), to put on top of the busybox test image so user-name tests have a name to
 * resolve. `buildBusyboxLayer` makes an unpacked layer directory straight from the host's
 * static busybox, for tests that need a rootfs with a shell but no registry.
 */
import { chmod, copyFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageForContainer, ImageRunConfig } from '../../node-agent/runtime/container-spec.js';
import type { TarSpec } from './image-tar.js';

const passwd = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n';
const group = 'root:x:0:\napp:x:1000:\nstaff:x:50:app\n';

/** A layer adding users root and app (1000:1000, also in group `staff` 50) and app's home. */
export const identityLayerEntries: TarSpec[] = [
  { name: 'etc/', type: 'dir', mode: 0o755 },
  { name: 'etc/passwd', content: passwd, mode: 0o644 },
  { name: 'etc/group', content: group, mode: 0o644 },
  { name: 'home/', type: 'dir', mode: 0o755 },
  { name: 'home/app/', type: 'dir', mode: 0o755, uid: 1000, gid: 1000 },
];

/** Builds a layer at `dir`: Debian's static /bin/busybox with /bin/sh, and the usual empty directories. */
export async function buildBusyboxLayer(dir: string): Promise<string> {
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root']) await mkdir(join(dir, d), { recursive: true });
  await chmod(join(dir, 'tmp'), 0o1777);
  await copyFile('/bin/busybox', join(dir, 'bin/busybox'));
  await chmod(join(dir, 'bin/busybox'), 0o755);
  await symlink('busybox', join(dir, 'bin/sh'));
  return dir;
}

/** An image of the given layers, run settings as in an image config's `config`. */
export function layersImage(layerDirs: string[], config: ImageRunConfig = { Cmd: ['sh'] }): ImageForContainer {
  return { reference: 'local/runtime-test:busybox', digest: 'sha256:' + '0'.repeat(64), config: { config }, layerDirs };
}
