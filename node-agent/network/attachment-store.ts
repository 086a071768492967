import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CniAttachment, CniNetworkConfigList, CniResult, CniRuntimeConfig } from './cni-types.js';

/**
 * AttachmentRecord is what the agent keeps of one pod's attachment after ADD: exactly what it
 * gave the plugins (configuration list, runtimeConfig, attachment) and what ADD answered. CHECK
 * needs the result as prevResult, and CHECK and DEL need the configuration of the ADD even when
 * the node's configuration has changed since; the pod's IP after an agent restart comes from it.
 */
export interface AttachmentRecord {
  podUid: string;
  attachment: CniAttachment;
  config: CniNetworkConfigList;
  runtimeConfig: CniRuntimeConfig;
  result: CniResult;
}

/**
 * AttachmentStore is used to keep the attachment records under the agent's --root
 * (<root>/network/pods/<uid>.json, 0600), CNI's result cache. Writes replace a file whole
 * (temporary file, then rename), so a crash never leaves half a record. Lifecycle: load() once
 * at start, then save() after each ADD and remove() after each DEL.
 */
export class AttachmentStore {
  constructor(private readonly dir: string) {}

  /** load reads every record; a file that does not parse is skipped (it was never renamed into place). */
  async load(): Promise<Map<string, AttachmentRecord>> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const out = new Map<string, AttachmentRecord>();
    for (const file of await readdir(this.dir)) {
      if (!file.endsWith('.json') || file.startsWith('.')) continue;
      try {
        const record = JSON.parse(await readFile(join(this.dir, file), 'utf8')) as AttachmentRecord;
        if (typeof record.podUid === 'string' && record.config && record.result && record.attachment) out.set(record.podUid, record);
      } catch {
        // unreadable: not one of ours
      }
    }
    return out;
  }

  async save(record: AttachmentRecord): Promise<void> {
    const tmp = join(this.dir, `.${record.podUid}.json.tmp`);
    await writeFile(tmp, JSON.stringify(record), { mode: 0o600 });
    await rename(tmp, join(this.dir, `${record.podUid}.json`));
  }

  remove(podUid: string): Promise<void> {
    return rm(join(this.dir, `${podUid}.json`), { force: true });
  }
}
