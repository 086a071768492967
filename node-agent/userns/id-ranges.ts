import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** How many ids a pod's user namespace maps: Kubernetes' 65536 (ids 0-65535 inside). */
export const IDS_PER_POD = 65536;

/** The highest host id a range may end before: 4294967295 is (uid_t)-1, never a real id. */
const MAX_END = 65535 * IDS_PER_POD;

/** IdRange is used for one pod's host ids: container id N is host id `hostId + N`, for `size` ids. */
export interface IdRange {
  hostId: number;
  size: number;
}

/**
 * IdPool is used for the host ids a node hands out to pods with `hostUsers: false`: `first` to
 * `first + count * 65536 - 1`, in ranges of 65536 starting at multiples of 65536 (never the range
 * starting at 0, the host's own users).
 */
export interface IdPool {
  first: number;
  count: number;
}

/** Kubernetes' pool shape: from host id 65536, here 1024 pods' worth (ids 65536-67174399). */
export const DEFAULT_ID_POOL: IdPool = { first: IDS_PER_POD, count: 1024 };

/** parseIdPool reads `FIRST-LAST` host ids (`65536-67174399`); throws a message saying what is wrong. */
export function parseIdPool(text: string): IdPool {
  const m = /^(\d+)-(\d+)$/.exec(text);
  if (!m) throw new Error(`expected FIRST-LAST host ids, e.g. ${describePool(DEFAULT_ID_POOL)}`);
  const first = Number(m[1]);
  const end = Number(m[2]) + 1;
  if (first < IDS_PER_POD || first % IDS_PER_POD !== 0) throw new Error(`FIRST (${first}) must be a multiple of ${IDS_PER_POD}, at least ${IDS_PER_POD}`);
  if (end <= first || end % IDS_PER_POD !== 0) throw new Error(`LAST (${end - 1}) must be a multiple of ${IDS_PER_POD} minus 1, above FIRST`);
  if (end > MAX_END) throw new Error(`LAST (${end - 1}) must be at most ${MAX_END - 1}`);
  return { first, count: (end - first) / IDS_PER_POD };
}

/** describePool writes a pool as the flag takes it: `FIRST-LAST`. */
export function describePool(pool: IdPool): string {
  return `${pool.first}-${pool.first + pool.count * IDS_PER_POD - 1}`;
}

/** IdRangesExhaustedError is used when every range of the pool is held by a pod of the node. */
export class IdRangesExhaustedError extends Error {
  override readonly name = 'IdRangesExhaustedError';
  constructor(pool: IdPool) {
    super(`no free user namespace range on this node: all ${pool.count} ranges of ${IDS_PER_POD} host ids in ${describePool(pool)} are held by pods; remove pods with hostUsers: false or give the agent a larger --userns-ids pool`);
  }
}

/**
 * PodIdRanges is used to give each pod with `hostUsers: false` a range of host ids no other pod
 * of the node holds, and to keep it for as long as the pod is on the node, across agent restarts
 * (the allocations are in <root>/userns/ranges.json, written before a range is handed out).
 *
 * Lifecycle: load() once at agent start; allocate(uid) before the pod's first container (the
 * pod's range again if it has one); release(uid) once its containers are gone; keepOnly(uids)
 * at start frees the ranges of pods removed while the agent was down. A range outside the pool
 * (the flag changed) stays held by its pod but is never handed out again.
 */
export class PodIdRanges {
  private readonly file: string;
  private readonly held = new Map<string, IdRange>();
  /** Every change is written after the previous one, never at the same time. */
  private writes: Promise<void> = Promise.resolve();

  constructor(root: string, private readonly pool: IdPool = DEFAULT_ID_POOL) {
    this.file = join(root, 'userns', 'ranges.json');
  }

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const saved = JSON.parse(text) as Record<string, IdRange>;
    this.held.clear();
    for (const [uid, range] of Object.entries(saved)) {
      if (!Number.isSafeInteger(range.hostId) || range.size !== IDS_PER_POD) throw new Error(`${this.file}: the range of pod ${uid} is not a range of ${IDS_PER_POD} ids`);
      this.held.set(uid, { hostId: range.hostId, size: range.size });
    }
  }

  /** The range pod `uid` holds, if any. */
  rangeOf(uid: string): IdRange | undefined {
    const range = this.held.get(uid);
    return range ? { ...range } : undefined;
  }

  /** allocate gives pod `uid` its range (the one it holds, else the lowest free), on disk before it returns. */
  async allocate(uid: string): Promise<IdRange> {
    const own = this.held.get(uid);
    if (own) return { ...own };
    const taken = new Set([...this.held.values()].map((r) => r.hostId));
    for (let i = 0; i < this.pool.count; i++) {
      const hostId = this.pool.first + i * IDS_PER_POD;
      if (taken.has(hostId)) continue;
      const range = { hostId, size: IDS_PER_POD };
      this.held.set(uid, range);
      try {
        await this.persist();
      } catch (err) {
        this.held.delete(uid); // not on disk: not handed out
        throw err;
      }
      return { ...range };
    }
    throw new IdRangesExhaustedError(this.pool);
  }

  /** release frees pod `uid`'s range (none held is fine). */
  async release(uid: string): Promise<void> {
    if (!this.held.delete(uid)) return;
    await this.persist();
  }

  /** keepOnly frees the ranges of every pod not in `keep`; returns their uids. */
  async keepOnly(keep: ReadonlySet<string>): Promise<string[]> {
    const gone = [...this.held.keys()].filter((uid) => !keep.has(uid));
    if (gone.length === 0) return [];
    for (const uid of gone) this.held.delete(uid);
    await this.persist();
    return gone;
  }

  /** Writes what is held now (a temp file renamed over the old one: a crash leaves either). */
  private persist(): Promise<void> {
    const text = JSON.stringify(Object.fromEntries(this.held), null, 2) + '\n';
    const write = async () => {
      await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.file);
    };
    const done = this.writes.catch(() => undefined).then(write);
    this.writes = done;
    return done;
  }
}
