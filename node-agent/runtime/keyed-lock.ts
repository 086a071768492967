/**
 * KeyedLock is used to run operations on the same key (a container id) one after another,
 * while operations on different keys run concurrently: stop and remove of one container
 * must not interleave, stops of two containers may.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier `run` for `key` has settled; resolves or rejects as `fn` does. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      // The last one out forgets the key, so the map does not grow with every container ever seen.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
