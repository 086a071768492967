import type { Container } from '../../proto/objects/pod.js';

/** PullDecision is what to do about a container's image before creating it. */
export type PullDecision =
  /** Ask the registry (it may answer that the local copy is current). */
  | { kind: 'pull' }
  /** Use the copy in the image store. */
  | { kind: 'use-local' }
  /** The policy forbids pulling and the image is not there: waiting with ErrImageNeverPull. */
  | { kind: 'never-pull'; message: string };

/** effectivePullPolicy is the container's policy, or Kubernetes' default: Always for :latest or no tag, else IfNotPresent. */
export function effectivePullPolicy(container: Pick<Container, 'image' | 'imagePullPolicy'>): 'Always' | 'IfNotPresent' | 'Never' {
  if (container.imagePullPolicy) return container.imagePullPolicy;
  const image = container.image;
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  const tag = colon < 0 ? 'latest' : image.slice(colon + 1);
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** decidePull applies the pull policy to whether the image store holds the image. Pure. */
export function decidePull(container: Pick<Container, 'image' | 'imagePullPolicy'>, presentLocally: boolean): PullDecision {
  switch (effectivePullPolicy(container)) {
    case 'Always':
      return { kind: 'pull' };
    case 'IfNotPresent':
      return presentLocally ? { kind: 'use-local' } : { kind: 'pull' };
    case 'Never':
      return presentLocally
        ? { kind: 'use-local' }
        : { kind: 'never-pull', message: `Container image "${container.image}" is not present with pull policy of Never` };
  }
}
