import type { Container, PodTemplateSpec } from '../../proto/objects/pod.js';
import { CliError } from '../errors.js';

/*
 * `berth set image KIND/NAME CONTAINER=IMAGE... | *=IMAGE`, read and applied as kubectl's
 * set image does, with its messages.
 */

/** ImageEdit is the images to set, by container name (`*`: every container). */
export type ImageEdit = Map<string, string>;

/** parseImageArgs is kubectl's ParsePairs for images: NAME=IMAGE, no removals, `*` alone. */
export function parseImageArgs(pairs: string[]): ImageEdit {
  const images: ImageEdit = new Map();
  const invalid: string[] = [];
  for (const spec of pairs) {
    const eq = spec.indexOf('=');
    if (eq > 0 && eq < spec.length - 1) images.set(spec.slice(0, eq), spec.slice(eq + 1));
    else invalid.push(spec);
  }
  if (invalid.length > 0) throw new CliError(`invalid image format: ${invalid.join(', ')}`);
  if (images.size === 0) throw new CliError('at least one image update is required');
  if (images.size > 1 && images.has('*')) throw new CliError('all containers are already specified by *, but saw more than one container_name=container_image pairs');
  return images;
}

/** isImagePair: an argument that is an image change rather than a resource. */
export function isImagePair(arg: string): boolean {
  return arg.includes('=') && !arg.startsWith('=');
}

function setImages(containers: readonly Container[], images: ImageEdit, found: Set<string>): Container[] {
  return containers.map((c) => {
    const image = images.get(c.name) ?? images.get('*');
    if (image === undefined) return c;
    found.add(images.has(c.name) ? c.name : '*');
    return { ...c, image };
  });
}

/**
 * imagePatch is the merge patch that sets the images in a pod template (containers and init
 * containers, each list sent whole), or undefined when every image is already as asked. A
 * container name the template does not have is an error, and then nothing is changed.
 */
export function imagePatch(template: PodTemplateSpec, images: ImageEdit): object | undefined {
  const found = new Set<string>();
  const containers = setImages(template.spec.containers, images, found);
  const initContainers = template.spec.initContainers ? setImages(template.spec.initContainers, images, found) : undefined;
  const missing = [...images.keys()].filter((name) => !found.has(name));
  if (missing.length > 0) {
    const known = [...(template.spec.initContainers ?? []), ...template.spec.containers].map((c) => c.name);
    throw new CliError(`${missing.map((m) => `unable to find container named ${JSON.stringify(m)}`).join(', ')} (the pod template has ${known.map((k) => JSON.stringify(k)).join(', ')})`);
  }
  const spec: Record<string, Container[]> = {};
  if (containers.some((c, i) => c.image !== template.spec.containers[i]?.image)) spec.containers = containers;
  if (initContainers?.some((c, i) => c.image !== template.spec.initContainers?.[i]?.image)) spec.initContainers = initContainers;
  return Object.keys(spec).length > 0 ? { spec: { template: { spec } } } : undefined;
}
