import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from '../../proto/objects/pod.js';

/**
 * PodStateStore is used to keep, in the agent's state directory, the last spec of every pod the
 * agent was given (<root>/pods/<uid>.json, 0600). With it a restarted agent goes on running and
 * restarting its pods before the control plane answers (static stability, DESIGN.md section 1).
 */
export class PodStateStore {
  private readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, 'pods');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  async save(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    const tmp = join(this.dir, `.${uid}.json.tmp`);
    await writeFile(tmp, JSON.stringify(pod), { mode: 0o600 });
    await rename(tmp, join(this.dir, `${uid}.json`));
  }

  async remove(uid: string): Promise<void> {
    await rm(join(this.dir, `${uid}.json`), { force: true });
  }

  async list(): Promise<Pod[]> {
    const out: Pod[] = [];
    for (const file of await readdir(this.dir)) {
      if (!file.endsWith('.json') || file.startsWith('.')) continue;
      try {
        out.push(JSON.parse(await readFile(join(this.dir, file), 'utf8')) as Pod);
      } catch {
        // A file cut short by a crash mid-write never replaced the previous one (rename), so this is foreign: skip it.
      }
    }
    return out;
  }
}
