import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CniAttachment, CniNetworkConfigList, CniResult, CniRuntimeConfig } from './cni-types.js';

/**
 * AttachmentRecord is what the agent keeps of one pod sandbox (a network namespace and its CNI
 * attachment): exactly what it gave the plugins (configuration list, runtimeConfig, attachment)
 * and what ADD answered. CHECK needs the result as prevResult, and CHECK and DEL need the
 * configuration of the ADD even when the node's configuration has changed since; the pod's IP
 * after an agent restart comes from it.
 */
export interface AttachmentRecord {
  /** The sandbox's id: CNI_CONTAINERID of its attachment and the record's file name. */
  sandboxId: string;
  /** The pod in the sandbox; absent for a sandbox of the warm pool that no pod has taken. */
  podUid?: string;
  /** Its container id is the sandbox id, its netns the sandbox's namespace. */
  attachment: CniAttachment;
  config: CniNetworkConfigList;
  runtimeConfig: CniRuntimeConfig;
  /**
   * What ADD answered. Absent in the record a pool sandbox gets before its namespace is made and
   * its ADD runs, so an agent stopped meanwhile leaves a record to clean up, never a stray
   * namespace or address.
   */
  result?: CniResult;
}

/** A record as an earlier agent wrote it: keyed by the pod's uid, which was also its container id. */
type StoredRecord = Partial<AttachmentRecord>;

/**
 * AttachmentStore is used to keep the sandbox records under the agent's --root
 * (<root>/network/pods/<sandbox id>.json, 0600), CNI's result cache. Writes replace a file whole
 * (temporary file, then rename), so a crash never leaves half a record. Lifecycle: load() once
 * at start, then save() before or after each ADD (and when a pod takes a pool sandbox) and
 * remove() after each DEL.
 */
export class AttachmentStore {
  constructor(private readonly dir: string) {}

  /** load reads every record, by sandbox id; a file that does not parse or is named after another sandbox is skipped (not one of ours). */
  async load(): Promise<Map<string, AttachmentRecord>> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const out = new Map<string, AttachmentRecord>();
    for (const file of await readdir(this.dir)) {
      if (!file.endsWith('.json') || file.startsWith('.')) continue;
      try {
        const stored = JSON.parse(await readFile(join(this.dir, file), 'utf8')) as StoredRecord;
        const sandboxId = stored.sandboxId ?? stored.attachment?.containerId;
        if (!sandboxId || file !== `${sandboxId}.json` || !stored.config || !stored.attachment || stored.attachment.containerId !== sandboxId) continue;
        out.set(sandboxId, { ...stored, sandboxId, attachment: stored.attachment, config: stored.config, runtimeConfig: stored.runtimeConfig ?? {} });
      } catch {
        // unreadable: not one of ours
      }
    }
    return out;
  }

  async save(record: AttachmentRecord): Promise<void> {
    const tmp = join(this.dir, `.${record.sandboxId}.json.tmp`);
    await writeFile(tmp, JSON.stringify(record), { mode: 0o600 });
    await rename(tmp, join(this.dir, `${record.sandboxId}.json`));
  }

  remove(sandboxId: string): Promise<void> {
    return rm(join(this.dir, `${sandboxId}.json`), { force: true });
  }
}
