import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import type { BerthObject } from '../../proto/objects/meta.js';
import { WatchExpiredError } from '../errors.js';
import { isCompacted } from './store-errors.js';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** StoreEvent is one change, at the etcd revision that made it. */
export interface StoreEvent {
  type: StoreEventType;
  object: BerthObject;
  revision: string;
  /**
   * The object as it was before this change, when etcd sent it (decoded on demand: most
   * consumers keep their own copy). Undefined for additions and for changes found by a re-list.
   */
  previous?: () => BerthObject;
}

export interface PrefixWatchOptions {
  prefix: string;
  decode: (kv: IKeyValue) => BerthObject;
  /** Builds the identity of a deleted object we only know by key (after a re-list). */
  tombstone: (kv: IKeyValue, revision: string) => BerthObject;
  /**
   * Deliver changes after this revision. Without it the watch first lists, delivering every
   * current object as ADDED (like `kubectl get -w`), then changes after the list.
   */
  fromRevision?: string;
  /** Told about each recoverable problem (disconnects, compaction) for logging. */
  onRecover?: (what: string) => void;
  /**
   * Ask etcd for each changed key's previous value (default true): `previous` of modifications
   * and the full object of deletions. A consumer that keeps its own copy of every object (an
   * informer) passes false: etcd then reads and sends half as much per event, and a deletion
   * carries only the object's identity (as after a re-list).
   */
  previousValues?: boolean;
}

const INITIAL_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;

/**
 * PrefixWatch streams the changes under an etcd prefix and owns its own resumption, because the
 * etcd3 library's does not hold up: it resumes from the last header revision rather than the
 * last event delivered, and a compaction simply cancels its watcher.
 *
 * Guarantees: events arrive in revision order, each at most once. After a disconnect (an etcd
 * restart) the watch resumes right after the last event delivered. After a compaction it lists
 * the prefix again and delivers the difference from what it had delivered (ADDED, MODIFIED, or
 * DELETED for keys that vanished), so no object's final state is lost or delivered twice.
 */
export class PrefixWatch implements AsyncIterable<StoreEvent> {
  /** Every key the consumer knows about, with the revision it last saw. */
  private readonly known = new Map<string, number>();
  private resumeAfter = 0;
  private watcher: Watcher | undefined;
  private generation = 0;
  private backoffMs = INITIAL_BACKOFF_MS;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private failure: Error | undefined;
  private readonly queue: StoreEvent[] = [];
  private readonly waiters: ((r: IteratorResult<StoreEvent>) => void)[] = [];
  private readonly failWaiters: ((e: Error) => void)[] = [];
  private readonly started: Promise<void>;

  constructor(private readonly client: Etcd3, private readonly options: PrefixWatchOptions) {
    this.started = this.start();
    // The start promise is observed by next(); keep an unobserved rejection from crashing.
    this.started.catch(() => undefined);
  }

  /** ready resolves once the initial list (if any) has been queued and the watch requested. */
  ready(): Promise<void> {
    return this.started;
  }

  async next(): Promise<IteratorResult<StoreEvent>> {
    const event = this.queue.shift();
    if (event) return { value: event, done: false };
    if (this.failure) throw this.failure;
    if (this.closed) return { value: undefined, done: true };
    return new Promise((resolve, reject) => {
      this.waiters.push(resolve);
      this.failWaiters.push(reject);
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<StoreEvent> {
    return { next: () => this.next(), return: async () => { this.close(); return { value: undefined, done: true }; } };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopWatcher();
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
    this.failWaiters.length = 0;
  }

  private async start(): Promise<void> {
    const from = this.options.fromRevision;
    if (from !== undefined && from !== '' && from !== '0') {
      // Learn what the consumer already has (the state at `from`) without delivering it, so a
      // later re-list can tell deletions and additions apart.
      try {
        const res = await this.client.getAll().prefix(this.options.prefix).revision(from).exec();
        for (const kv of res.kvs) this.known.set(kv.key.toString('utf8'), Number(kv.mod_revision));
      } catch (err) {
        if (isCompacted(err)) return this.fail(new WatchExpiredError(from));
        // etcd unreachable for a moment: try again, as every other step of the watch does.
        this.options.onRecover?.(`watch ${this.options.prefix}: first read at revision ${from} failed (${String(err)}); retrying`);
        this.known.clear();
        this.schedule(() => void this.start());
        return;
      }
      this.resumeAfter = Number(from);
      this.openWatcher();
      return;
    }
    await this.relist();
  }

  /** relist lists the prefix now and delivers the difference from what the consumer knows. */
  private async relist(): Promise<void> {
    if (this.closed) return;
    let res;
    try {
      res = await this.client.getAll().prefix(this.options.prefix).exec();
    } catch (err) {
      this.options.onRecover?.(`re-list failed, retrying: ${String(err)}`);
      this.schedule(() => void this.relist());
      return;
    }
    if (this.closed) return;
    const revision = String(res.header.revision);
    const present = new Set<string>();
    for (const kv of res.kvs) {
      const key = kv.key.toString('utf8');
      present.add(key);
      const seen = this.known.get(key);
      const mod = Number(kv.mod_revision);
      if (seen === mod) continue;
      this.known.set(key, mod);
      const object = this.decoded(kv);
      if (object) this.push({ type: seen === undefined ? 'ADDED' : 'MODIFIED', object, revision: String(kv.mod_revision) });
    }
    for (const key of [...this.known.keys()]) {
      if (present.has(key)) continue;
      this.known.delete(key);
      const kv = { key: Buffer.from(key), value: Buffer.alloc(0), mod_revision: revision } as unknown as IKeyValue;
      this.push({ type: 'DELETED', object: this.options.tombstone(kv, revision), revision });
    }
    this.resumeAfter = Number(revision);
    this.openWatcher();
  }

  private openWatcher(): void {
    if (this.closed) return;
    const generation = ++this.generation;
    const current = () => generation === this.generation && !this.closed;
    // Start AT the last revision applied, not after it: one transaction writes many keys at one
    // revision, and a disconnect could fall between their events. onPut/onDelete drop repeats.
    const builder = this.client.watch().prefix(this.options.prefix).startRevision(String(Math.max(this.resumeAfter, 1)));
    const watcher = (this.options.previousValues === false ? builder : builder.withPreviousKV()).watcher();
    this.watcher = watcher;
    watcher.on('connected', () => {
      if (current()) this.backoffMs = INITIAL_BACKOFF_MS;
    });
    watcher.on('put', (kv: IKeyValue, prev?: IKeyValue) => current() && this.onPut(kv, prev));
    watcher.on('delete', (kv: IKeyValue, prev?: IKeyValue) => current() && this.onDelete(kv, prev));
    watcher.on('disconnected', (err: unknown) => {
      if (!current()) return;
      // Take resumption out of the library's hands: reopen from our own last revision.
      this.options.onRecover?.(`watch ${this.options.prefix} disconnected (${String(err)}); resuming after revision ${this.resumeAfter}`);
      this.stopWatcher();
      this.schedule(() => this.openWatcher());
    });
    watcher.on('error', (err: unknown) => {
      if (!current()) return;
      this.options.onRecover?.(`watch ${this.options.prefix} cancelled (${String(err)}); listing again`);
      this.stopWatcher();
      this.schedule(() => void this.relist());
    });
  }

  /**
   * Repeats are recognised per key, not by revision alone: every key a transaction writes shares
   * its revision, so an event at the last revision applied is new unless this key already has it.
   */
  private onPut(kv: IKeyValue, prev: IKeyValue | undefined): void {
    const mod = Number(kv.mod_revision);
    const key = kv.key.toString('utf8');
    if (mod < this.resumeAfter || (mod === this.resumeAfter && this.known.get(key) === mod)) return;
    const type = this.known.has(key) ? 'MODIFIED' : 'ADDED';
    this.known.set(key, mod);
    this.resumeAfter = mod;
    const decode = this.options.decode;
    const object = this.decoded(kv);
    if (object) this.push({ type, object, revision: String(mod), ...(prev ? { previous: () => decode(prev) } : {}) });
  }

  private onDelete(kv: IKeyValue, prev: IKeyValue | undefined): void {
    const mod = Number(kv.mod_revision);
    const key = kv.key.toString('utf8');
    if (mod < this.resumeAfter || (mod === this.resumeAfter && !this.known.has(key))) return;
    this.known.delete(key);
    this.resumeAfter = mod;
    const object = (prev && this.decoded(prev)) || this.options.tombstone(kv, String(mod));
    object.metadata.resourceVersion = String(mod);
    this.push({ type: 'DELETED', object, revision: String(mod) });
  }

  /**
   * decoded is the object a key holds, or undefined when its value cannot be read (say, a Secret
   * under an encryption key the control plane lacks): that event is skipped and reported, so one
   * bad value does not stop the watch of every other key.
   */
  private decoded(kv: IKeyValue): BerthObject | undefined {
    try {
      return this.options.decode(kv);
    } catch (err) {
      this.options.onRecover?.(`watch ${this.options.prefix}: ${kv.key.toString('utf8')} cannot be read, skipped (${err instanceof Error ? err.message : String(err)})`);
      return undefined;
    }
  }

  private push(event: StoreEvent): void {
    const waiter = this.waiters.shift();
    this.failWaiters.shift();
    if (waiter) waiter({ value: event, done: false });
    else this.queue.push(event);
  }

  private fail(err: Error): void {
    this.failure = err;
    this.stopWatcher();
    for (const reject of this.failWaiters.splice(0)) reject(err);
    this.waiters.length = 0;
  }

  private stopWatcher(): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const watcher = this.watcher;
    this.watcher = undefined;
    watcher?.removeAllListeners();
    // A watcher that is not connected is simply dropped by the library; a connected one is
    // cancelled on the stream. Either way a failure here changes nothing for us.
    watcher?.cancel().catch(() => undefined);
  }

  private schedule(fn: () => void): void {
    if (this.closed) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fn();
    }, delay);
  }
}
