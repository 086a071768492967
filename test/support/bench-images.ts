/**
 * Images for the cluster benchmarks: the cached case uses busybox:1.35 (which `berth up` put in
 * the local registry and the bench pre-pulls onto every node); the uncached case pushes, before
 * each run, an image no node has seen: busybox in ONE layer that also holds a unique file, so
 * its digest (and every blob of it) is new and each node must really download and unpack the
 * whole busybox tree, not only a small extra layer on top of a cached base.
 */
import { randomBytes } from 'node:crypto';
import { buildImage, busyboxBaseLayer } from '../../cli/local-cluster/busybox-image.js';
import { buildLayerTar } from '../../cli/local-cluster/layer-tar.js';

/** The image of the cached runs (already on every node after the pre-pull). */
export const CACHED_IMAGE = 'busybox:1.35';

/** A tar ends with two zero blocks; entries appended before them belong to the same archive. */
const TAR_END_BYTES = 1024;

/**
 * pushUniqueBusybox pushes library/berth-bench-<random>:1 to the local registry (the nodes'
 * docker.io mirror) and returns the reference pods use (`berth-bench-<random>:1`), with its size.
 */
export async function pushUniqueBusybox(registry: string): Promise<{ image: string; layerBytes: number }> {
  const id = randomBytes(6).toString('hex');
  const base = busyboxBaseLayer();
  const layer = Buffer.concat([base.subarray(0, base.length - TAR_END_BYTES), buildLayerTar([{ name: 'etc/berth-bench-id', content: `${id}\n` }])]);
  await buildImage(registry, `library/berth-bench-${id}`, '1', [layer]);
  return { image: `berth-bench-${id}:1`, layerBytes: layer.length };
}
