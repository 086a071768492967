import type { Container } from '../../proto/objects/pod.js';
import type { ImageStore, PulledImage } from '../image/index.js';
import { decidePull } from './pull-policy.js';

/** ImageResult is the outcome of getting a container's image ready. */
export type ImageResult =
  | { kind: 'ready'; image: PulledImage; pulled: boolean; tookMs: number }
  | { kind: 'failed'; reason: 'ErrImagePull' | 'ErrImageNeverPull'; message: string };

/**
 * ImagePuller is used by pod workers to have a container's image on disk, honouring its
 * imagePullPolicy. Concurrent pulls of the same reference (replicas of one Deployment starting
 * together) share one registry round trip, and concurrent looks into the local store share one read.
 */
export class ImagePuller {
  private readonly inFlight = new Map<string, Promise<PulledImage>>();
  private readonly localInFlight = new Map<string, Promise<PulledImage | undefined>>();

  constructor(private readonly store: ImageStore) {}

  /** Resolves with the image, or with why it is not available; `onPulling` fires before a registry pull. */
  async ensure(container: Pick<Container, 'image' | 'imagePullPolicy'>, onPulling: () => void): Promise<ImageResult> {
    let local: PulledImage | undefined;
    try {
      local = await this.getLocal(container.image);
    } catch (err) {
      return { kind: 'failed', reason: 'ErrImagePull', message: err instanceof Error ? err.message : String(err) };
    }
    const decision = decidePull(container, local !== undefined);
    if (decision.kind === 'never-pull') return { kind: 'failed', reason: 'ErrImageNeverPull', message: decision.message };
    if (decision.kind === 'use-local' && local) return { kind: 'ready', image: local, pulled: false, tookMs: 0 };
    onPulling();
    const started = Date.now();
    try {
      const image = await this.pull(container.image);
      return { kind: 'ready', image, pulled: true, tookMs: Date.now() - started };
    } catch (err) {
      return { kind: 'failed', reason: 'ErrImagePull', message: err instanceof Error ? err.message : String(err) };
    }
  }

  /** The image as the store has it now; callers at the same moment share one read (a burst of replicas reads it once). */
  private getLocal(reference: string): Promise<PulledImage | undefined> {
    let pending = this.localInFlight.get(reference);
    if (!pending) {
      pending = this.store.get(reference).finally(() => this.localInFlight.delete(reference));
      this.localInFlight.set(reference, pending);
    }
    return pending;
  }

  private pull(reference: string): Promise<PulledImage> {
    let pending = this.inFlight.get(reference);
    if (!pending) {
      pending = this.store.pull(reference).finally(() => this.inFlight.delete(reference));
      this.inFlight.set(reference, pending);
    }
    return pending;
  }
}

/** imageId is what a status reports as imageID: `<repository>@<digest>`. */
export function imageId(reference: string, digest: string): string {
  const at = reference.indexOf('@');
  if (at >= 0) return `${reference.slice(0, at)}@${digest}`;
  const lastSlash = reference.lastIndexOf('/');
  const colon = reference.indexOf(':', lastSlash + 1);
  return `${colon < 0 ? reference : reference.slice(0, colon)}@${digest}`;
}
