import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from '../../proto/objects/pod.js';

/**
 * PodStateStore is used to keep, in the agent's state directory, the last spec of every pod the
 * agent was given (<root>/pods/<uid>.json, 0600). With it a restarted agent goes on running and
 * restarting its pods before the control plane answers (static stability).
 *
 * A pod is written again only when what a restarted agent needs of it changed: spec, metadata
 * (other than resourceVersion) or status.startTime. Most updates of a pod are the echo of the
 * agent's own status reports; rewriting the file for each cost a new inode per update.
 */
export class PodStateStore {
  private readonly dir: string;
  /** What was last written (or is being written) per pod uid, in the form `neededOf()` gives. */
  private readonly written = new Map<string, string>();
  /** The last write or removal per pod uid: those of one pod run one after another, never at once. */
  private readonly queue = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.dir = join(root, 'pods');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Writes the pod (unless unchanged in what matters); resolves once this version is on disk. */
  save(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    const needed = neededOf(pod);
    if (this.written.get(uid) === needed) return this.queue.get(uid) ?? Promise.resolve();
    this.written.set(uid, needed);
    const text = JSON.stringify(pod);
    return this.enqueue(uid, async () => {
      const tmp = join(this.dir, `.${uid}.json.tmp`);
      try {
        await writeFile(tmp, text, { mode: 0o600 });
        await rename(tmp, join(this.dir, `${uid}.json`));
      } catch (err) {
        if (this.written.get(uid) === needed) this.written.delete(uid); // not on disk: the next save writes
        throw err;
      }
    });
  }

  /** Removes the pod's file, after any write of it still under way. */
  remove(uid: string): Promise<void> {
    this.written.delete(uid);
    return this.enqueue(uid, () => rm(join(this.dir, `${uid}.json`), { force: true }));
  }

  private enqueue(uid: string, work: () => Promise<void>): Promise<void> {
    const done = (this.queue.get(uid) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.queue.set(uid, done);
    const forget = () => {
      if (this.queue.get(uid) === done) this.queue.delete(uid);
    };
    done.then(forget, forget);
    return done;
  }

  async list(): Promise<Pod[]> {
    const out: Pod[] = [];
    for (const file of await readdir(this.dir)) {
      if (!file.endsWith('.json') || file.startsWith('.')) continue;
      try {
        const pod = JSON.parse(await readFile(join(this.dir, file), 'utf8')) as Pod;
        this.written.set(pod.metadata.uid ?? '', neededOf(pod));
        out.push(pod);
      } catch {
        // A file cut short by a crash mid-write never replaced the previous one (rename), so this is foreign: skip it.
      }
    }
    return out;
  }
}

/** The parts of a pod a restarted agent needs, as one comparable string. */
function neededOf(pod: Pod): string {
  return JSON.stringify([{ ...pod.metadata, resourceVersion: undefined }, pod.spec, pod.status?.startTime]);
}
