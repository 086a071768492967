/**
 * RwLock lets pulls run concurrently (shared) while gc runs alone (exclusive): gc must not
 * delete a blob a pull has just stored but not yet recorded in an image.
 */
export class RwLock {
  private readers = 0;
  private exclusiveHeld: Promise<void> | undefined;
  private onDrained: (() => void) | undefined;

  async shared<T>(f: () => Promise<T>): Promise<T> {
    while (this.exclusiveHeld) await this.exclusiveHeld;
    this.readers++;
    try {
      return await f();
    } finally {
      this.readers--;
      if (this.readers === 0) this.onDrained?.();
    }
  }

  async exclusive<T>(f: () => Promise<T>): Promise<T> {
    while (this.exclusiveHeld) await this.exclusiveHeld;
    let release!: () => void;
    this.exclusiveHeld = new Promise<void>((r) => (release = r));
    try {
      while (this.readers > 0) await new Promise<void>((r) => (this.onDrained = r));
      this.onDrained = undefined;
      return await f();
    } finally {
      this.exclusiveHeld = undefined;
      release();
    }
  }
}
