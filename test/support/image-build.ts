/**
 * Test images: the image building itself lives in cli/local-cluster/busybox-image.ts (which
 * `berth up` uses for the local registry); this adds what only tests need: layers written
 * with test/support/image-tar.ts (which can also write hostile entries) and WHITEOUT_LAYER.
 */
import {
  buildBusyboxImage as buildBusyboxImageFromTar,
  type BuildOptions,
  type BuiltImage,
} from '../../cli/local-cluster/busybox-image.js';
import { buildTar, type TarSpec } from './image-tar.js';

export { BUSYBOX, HOST_ARCH, buildImage, busyboxBaseLayer, type BuildOptions, type BuiltImage } from '../../cli/local-cluster/busybox-image.js';

/**
 * Builds the busybox image and pushes it as `ADDR/name:tag`. With `extraLayer`, the image is
 * the same base layer (identical digest) plus one more layer made of those entries.
 */
export async function buildBusyboxImage(
  registryAddress: string,
  name: string,
  tag: string,
  extraLayer?: TarSpec[],
  opts: BuildOptions = {},
): Promise<BuiltImage> {
  return buildBusyboxImageFromTar(registryAddress, name, tag, extraLayer ? buildTar(extraLayer) : undefined, opts);
}

/**
 * An extra layer exercising whiteouts: deletes /etc/group (`.wh.group`), makes
 * /usr/share/doc opaque (hiding busybox/README) with only app/README in it, adds /etc/motd
 * and /home/app/hello (owned by nobody).
 */
export const WHITEOUT_LAYER: TarSpec[] = [
  { name: 'etc/', type: 'dir', mode: 0o755 },
  { name: 'etc/.wh.group' },
  { name: 'etc/motd', content: 'hello from the second layer\n', mode: 0o640, uid: 65534, gid: 65534 },
  { name: 'usr/', type: 'dir', mode: 0o755 },
  { name: 'usr/share/', type: 'dir', mode: 0o755 },
  { name: 'usr/share/doc/', type: 'dir', mode: 0o755 },
  { name: 'usr/share/doc/.wh..wh..opq' },
  { name: 'usr/share/doc/app/', type: 'dir', mode: 0o755 },
  { name: 'usr/share/doc/app/README', content: 'the app\n' },
  { name: 'home/', type: 'dir', mode: 0o755 },
  { name: 'home/app/', type: 'dir', mode: 0o750, uid: 65534, gid: 65534 },
  { name: 'home/app/hello', content: '#!/bin/sh\necho hello\n', mode: 0o755 },
];
