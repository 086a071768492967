/**
 * Image references, normalized as Docker does: `busybox` is `docker.io/library/busybox:latest`,
 * `localhost:5000/x/y:tag` keeps its host, `name@sha256:…` pins a manifest digest.
 */
import { isDigest, type Digest } from './digest.js';
import { InvalidReferenceError } from './errors.js';

/** The registry host that short names (no host part) resolve to. */
export const DEFAULT_REGISTRY = 'docker.io';
const LEGACY_DEFAULT_REGISTRIES = new Set(['index.docker.io', 'registry-1.docker.io']);

// Grammar from distribution's reference/regexp.go.
const COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const HOST_RE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$/;
const IPV6_HOST_RE = /^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

/** ImageReference is a parsed, normalized reference. At least one of tag and digest is set. */
export interface ImageReference {
  /** Registry host as written in the reference, with port (`docker.io`, `127.0.0.1:5000`). */
  registry: string;
  /** Repository path inside the registry (`library/busybox`). */
  repository: string;
  tag?: string;
  digest?: Digest;
}

/** Parses and normalizes `ref`; throws InvalidReferenceError naming what is wrong. */
export function parseReference(ref: string): ImageReference {
  if (ref.length === 0 || ref.length > 4096) throw new InvalidReferenceError(ref, 'empty or too long');
  let rest = ref;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw new InvalidReferenceError(ref, `"${d}" is not a sha256 digest (sha256:<64 hex>)`);
    digest = d;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw new InvalidReferenceError(ref, `"${tag}" is not a valid tag`);
  }
  let registry = DEFAULT_REGISTRY;
  let path = rest;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    if (!HOST_RE.test(first) && !IPV6_HOST_RE.test(first)) {
      throw new InvalidReferenceError(ref, `"${first}" is not a valid registry host`);
    }
    registry = LEGACY_DEFAULT_REGISTRIES.has(first) ? DEFAULT_REGISTRY : first;
    path = rest.slice(slash + 1);
  }
  if (registry === DEFAULT_REGISTRY && !path.includes('/')) path = `library/${path}`;
  for (const c of path.split('/')) {
    if (!COMPONENT_RE.test(c)) {
      throw new InvalidReferenceError(
        ref,
        `repository component "${c}" must be lowercase letters, digits and separators (., _, __, -)`,
      );
    }
  }
  if (path.length > 255) throw new InvalidReferenceError(ref, 'repository name longer than 255 characters');
  if (tag === undefined && digest === undefined) tag = 'latest';
  const out: ImageReference = { registry, repository: path };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** The canonical string form: `registry/repository[:tag][@digest]`. */
export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** Normalizes a reference string: `busybox` → `docker.io/library/busybox:latest`. */
export function normalizeReference(ref: string): string {
  return formatReference(parseReference(ref));
}
