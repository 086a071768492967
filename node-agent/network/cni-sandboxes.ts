import { AttachmentStore, type AttachmentRecord } from './attachment-store.js';
import type { CniPluginChain } from './cni-plugins.js';
import { podIPOf } from './cni-result.js';
import type { CniNetworkConfigList } from './cni-types.js';
import { ConcurrencyLimit } from './concurrency-limit.js';

/** The pod's interface inside its namespace. */
export const POD_IFNAME = 'eth0';

/**
 * Priority of a plugin run: `now` for a pod that waits on it (at most a few at once, so a burst
 * of pods does not start a hundred plugin processes together), `background` for the warm pool
 * and its clean-up (SCHED_IDLE, one at a time, run by the pool itself).
 */
export type PluginPriority = 'now' | 'background';

/** The plugin chains of both priorities: the same plugins, the second run under SCHED_IDLE. */
export interface PluginChains {
  now: CniPluginChain;
  background: CniPluginChain;
}

/** Plugin chains run at once for pods: enough to overlap one pod's netlink waits with another's start-up, few enough for a 2-core node. */
const DEFAULT_MAX_CONCURRENT = 4;

/**
 * CniSandboxes is used to keep the records of the node's pod sandboxes (a network namespace and
 * its CNI attachment, whose CNI_CONTAINERID is the sandbox id, as containerd passes the sandbox's
 * id and not the pod's) and to run the plugins on them: ADD, CHECK and DEL exactly as the CNI
 * specification asks, each record saved after its ADD and removed after its DEL. A sandbox is
 * the pod's own (its id the pod's uid) or one of the warm pool (a random id), which a pod may
 * take; a taken sandbox is never given to another pod.
 *
 * Lifecycle: load() once; then add()/check()/del()/forget() per sandbox, assign() when a pod
 * takes a pool sandbox.
 */
export class CniSandboxes {
  private records = new Map<string, AttachmentRecord>();
  private readonly byPod = new Map<string, string>();
  private readonly limit: ConcurrencyLimit;

  constructor(private readonly store: AttachmentStore, private readonly chains: PluginChains, maxConcurrent = DEFAULT_MAX_CONCURRENT) {
    this.limit = new ConcurrencyLimit(maxConcurrent);
  }

  async load(): Promise<AttachmentRecord[]> {
    this.records = await this.store.load();
    for (const record of this.records.values()) if (record.podUid !== undefined) this.byPod.set(record.podUid, record.sandboxId);
    return [...this.records.values()];
  }

  /** The sandbox of pod `uid`, if it has one. */
  ofPod(uid: string): AttachmentRecord | undefined {
    const id = this.byPod.get(uid);
    return id === undefined ? undefined : this.records.get(id);
  }

  /** Whether sandbox `sandboxId` has a record. */
  has(sandboxId: string): boolean {
    return this.records.has(sandboxId);
  }

  /** Pods that have a sandbox. */
  pods(): string[] {
    return [...this.byPod.keys()];
  }

  /** How many sandboxes hold (or may hold) an address: every record. */
  get count(): number {
    return this.records.size;
  }

  /** record saves a sandbox's record as it is (a pool sandbox's, before its namespace and ADD). */
  async record(record: AttachmentRecord): Promise<void> {
    await this.store.save(record);
    this.remember(record);
  }

  /**
   * add runs ADD for a sandbox whose namespace exists and saves its record with the result. On
   * any failure nothing stays attached (the chain runs DEL, and so does a failed save) and the
   * error names what failed.
   */
  async add(pending: AttachmentRecord, priority: PluginPriority): Promise<AttachmentRecord> {
    const { config, attachment, runtimeConfig } = pending;
    const result = await this.run(priority, (chain) => chain.add(config, attachment, runtimeConfig));
    const record: AttachmentRecord = { ...pending, result };
    try {
      if (!podIPOf(result, attachment.ifName)) throw new Error(`CNI network ${config.name} gave sandbox ${pending.sandboxId} no IPv4 address: ${JSON.stringify(result)}`);
      await this.store.save(record);
    } catch (err) {
      await this.run(priority, (chain) => chain.del(config, attachment, result, runtimeConfig)).catch(() => undefined); // undo the ADD
      throw err;
    }
    this.remember(record);
    return record;
  }

  /** check runs CHECK against the sandbox's own ADD; it throws when the attachment is not as ADD left it. */
  async check(record: AttachmentRecord, priority: PluginPriority): Promise<void> {
    if (!record.result) throw new Error(`sandbox ${record.sandboxId} was never attached`);
    const { config, attachment, result, runtimeConfig } = record;
    await this.run(priority, (chain) => chain.check(config, attachment, result, runtimeConfig));
  }

  /**
   * del runs DEL for sandbox `sandboxId` with the configuration of its ADD, or `fallback` (the
   * node's) when there is no record of one. `netnsPath` is '' when the namespace is gone: the
   * plugins then only release what they hold outside it (the address).
   */
  async del(sandboxId: string, netnsPath: string, fallback: () => Promise<CniNetworkConfigList>, priority: PluginPriority): Promise<void> {
    const record = this.records.get(sandboxId);
    const config = record?.config ?? (await fallback());
    const attachment = { containerId: sandboxId, ifName: record?.attachment.ifName ?? POD_IFNAME, netns: netnsPath };
    await this.run(priority, (chain) => chain.del(config, attachment, record?.result, record?.runtimeConfig ?? {}));
  }

  /** assign gives pool sandbox `record` to pod `podUid`, on disk before anything of the pod runs in it. */
  async assign(record: AttachmentRecord, podUid: string): Promise<AttachmentRecord> {
    const taken: AttachmentRecord = { ...record, podUid };
    await this.store.save(taken);
    this.remember(taken);
    return taken;
  }

  /** forget removes a sandbox's record, after its DEL. */
  async forget(sandboxId: string): Promise<void> {
    const record = this.records.get(sandboxId);
    if (!record) return;
    await this.store.remove(sandboxId);
    this.records.delete(sandboxId);
    if (record.podUid !== undefined && this.byPod.get(record.podUid) === sandboxId) this.byPod.delete(record.podUid);
  }

  private remember(record: AttachmentRecord): void {
    this.records.set(record.sandboxId, record);
    if (record.podUid !== undefined) this.byPod.set(record.podUid, record.sandboxId);
  }

  private run<T>(priority: PluginPriority, task: (chain: CniPluginChain) => Promise<T>): Promise<T> {
    // The pool runs one background operation at a time itself; pods share the limit.
    return priority === 'background' ? task(this.chains.background) : this.limit.run(() => task(this.chains.now));
  }
}

/** ipOf is a sandbox's pod IP: its address on eth0, from its ADD's result. */
export function ipOf(record: AttachmentRecord): string | undefined {
  return record.result ? podIPOf(record.result, record.attachment.ifName) : undefined;
}
