import { randomUUID } from 'node:crypto';
import type { Logger } from 'winston';
import type { AttachmentRecord } from './attachment-store.js';
import { POD_IFNAME, type CniSandboxes } from './cni-sandboxes.js';
import type { CniNetworkConfigList } from './cni-types.js';
import { createPodNetns, isBoundNetns, removePodNetns } from './pod-netns.js';
import { podNetnsPath } from './pod-network.js';
import { DEFAULT_POOL_QUIET_MS, nextPoolStep, type PoolStep } from './sandbox-pool-policy.js';

/** SandboxPoolOptions is used to set up a SandboxPool. */
export interface SandboxPoolOptions {
  /** How many ready sandboxes to keep; 0 keeps none (and removes those an earlier agent left). */
  target: number;
  /** How long to keep still after a pod's setUp (default 2 s). */
  quietMs?: number;
  sandboxes: CniSandboxes;
  logger: Logger;
}

/**
 * SandboxPool is used to keep a warm pool of pod sandboxes on the node: network namespaces
 * already attached by CNI ADD under a sandbox id of their own (a random UUID; its namespace is
 * berth-<first 12 hex>), so a pod takes one at once instead of waiting for two plugin processes.
 * Each ready sandbox holds one address of the pod CIDR. The decisions are nextPoolStep's
 * (sandbox-pool-policy.ts); every plugin run of the pool is SCHED_IDLE, one at a time, and none
 * starts while pods are being set up.
 *
 * Lifecycle: adopt() the records an earlier agent left (unchecked ones are CHECKed before they
 * are offered; unfinished ones are removed); configure() with the node's configuration starts
 * the refill; take() hands a ready sandbox to a pod, which owns it from then on (it is removed
 * with the pod, never returned); podSetUpBegan()/podSetUpEnded() around every pod setUp hold the
 * pool still; stop() ends the work (an operation running goes to its end; what is on disk is
 * adopted by the next agent).
 */
export class SandboxPool {
  private readonly ready: AttachmentRecord[] = [];
  private readonly unverified: AttachmentRecord[] = [];
  private readonly stale: AttachmentRecord[] = [];
  private config: CniNetworkConfigList | undefined;
  private addresses = 0;
  private podsSettingUp = 0;
  private lastPodActivity = -Infinity;
  private failures = 0;
  private lastFailure = -Infinity;
  /** The step running now, if any: one at a time. */
  private current: Promise<void> | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly quietMs: number;
  private readonly restWaiters: Array<() => void> = [];

  constructor(private readonly options: SandboxPoolOptions) {
    if (!Number.isInteger(options.target) || options.target < 0) throw new Error(`the pod sandbox pool size must be a whole number of at least 0, not ${options.target}`);
    this.quietMs = options.quietMs ?? DEFAULT_POOL_QUIET_MS;
  }

  /** adopt takes over the pool sandboxes (records without a pod) an earlier agent left. */
  adopt(records: readonly AttachmentRecord[]): void {
    for (const record of records) if (record.podUid === undefined) (record.result ? this.unverified : this.stale).push(record);
    this.wake();
  }

  /** configure gives the node's configuration (pool sandboxes are attached with it) and how many addresses its pod CIDR has. */
  configure(config: CniNetworkConfigList, addresses: number): void {
    // A new pod CIDR: sandboxes attached with the old one would give pods addresses of another node's range.
    if (this.config && JSON.stringify(this.config) !== JSON.stringify(config)) this.stale.push(...this.ready.splice(0), ...this.unverified.splice(0));
    this.config = config;
    this.addresses = addresses;
    this.wake();
  }

  /** The ids of the ready sandboxes, oldest first. */
  readyIds(): string[] {
    return this.ready.map((r) => r.sandboxId);
  }

  /** take removes ready sandbox `sandboxId` from the pool and returns it; the caller gives it to its pod. */
  take(sandboxId: string): AttachmentRecord | undefined {
    const at = this.ready.findIndex((r) => r.sandboxId === sandboxId);
    return at < 0 ? undefined : this.ready.splice(at, 1)[0];
  }

  /** discard hands back a taken sandbox that could not be given to its pod: it is removed, never offered again. */
  discard(record: AttachmentRecord): void {
    this.stale.push(record);
    this.wake();
  }

  podSetUpBegan(): void {
    this.podsSettingUp++;
    this.lastPodActivity = Date.now();
  }

  podSetUpEnded(): void {
    this.podsSettingUp--;
    this.lastPodActivity = Date.now();
    this.wake();
  }

  /** settled resolves once the pool has nothing to do for now (full, waiting for pods to finish starting, backing off) or is stopped. */
  settled(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.restWaiters.push(resolve);
      this.wake();
    });
  }

  /** drain stops the pool and removes every sandbox it holds (for an agent leaving its node for good, and for tests); it throws the first failure after trying them all. */
  async drain(): Promise<void> {
    this.stop();
    await this.current;
    let first: unknown;
    for (const list of [this.ready, this.unverified, this.stale]) {
      for (const record of list.splice(0)) await this.remove(record).catch((err: unknown) => (first ??= err));
    }
    if (first !== undefined) throw first;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const resolve of this.restWaiters.splice(0)) resolve();
  }

  /** wake decides the next step and runs it, unless a step runs already (it decides again when done). */
  private wake(): void {
    if (this.current || this.stopped) return;
    clearTimeout(this.timer);
    const step = nextPoolStep({
      now: Date.now(),
      target: this.options.target,
      configured: this.config !== undefined,
      ready: this.ready.length,
      unverified: this.unverified.length,
      stale: this.stale.length,
      podsSettingUp: this.podsSettingUp,
      lastPodActivity: this.lastPodActivity,
      quietMs: this.quietMs,
      freeAddresses: this.addresses - this.options.sandboxes.count,
      failures: this.failures,
      lastFailure: this.lastFailure,
    });
    if (step.kind === 'rest' || step.kind === 'wait') {
      for (const resolve of this.restWaiters.splice(0)) resolve();
      if (step.kind === 'wait') this.timer = setTimeout(() => this.wake(), Math.max(0, step.until - Date.now()));
      return;
    }
    this.current = this.run(step).finally(() => {
      this.current = undefined;
      this.wake();
    });
  }

  private async run(step: Exclude<PoolStep, { kind: 'rest' | 'wait' }>): Promise<void> {
    try {
      if (step.kind === 'remove-stale') await this.remove(this.stale.shift());
      else if (step.kind === 'trim') await this.remove(this.unverified.pop() ?? this.ready.pop());
      else if (step.kind === 'verify') await this.verify(this.unverified.shift());
      else await this.add();
      this.failures = 0;
    } catch (err) {
      this.failures++;
      this.lastFailure = Date.now();
      this.options.logger.warn('pod sandbox pool: a step failed; backing off', { step: step.kind, failures: this.failures, error: String(err) });
    }
  }

  /** add makes one sandbox: its record first (so an agent stopped meanwhile cleans up after it), then its namespace and ADD. */
  private async add(): Promise<void> {
    const config = this.config;
    if (!config) return;
    const sandboxId = randomUUID();
    const netns = podNetnsPath(sandboxId);
    const pending: AttachmentRecord = { sandboxId, attachment: { containerId: sandboxId, ifName: POD_IFNAME, netns }, config, runtimeConfig: {} };
    this.options.logger.debug('pod sandbox pool: adding a sandbox', { sandboxId, netns });
    await this.options.sandboxes.record(pending);
    let made = false;
    try {
      made = await createPodNetns(netns);
      if (!made) throw new Error(`network namespace ${netns} exists already; it is not this sandbox's`);
      this.ready.push(await this.options.sandboxes.add(pending, 'background'));
    } catch (err) {
      // A failed ADD has DELed what it added; the namespace (if this sandbox made it) and the record remain.
      if (made) await removePodNetns(netns).catch(() => undefined);
      await this.options.sandboxes.forget(sandboxId);
      throw err;
    }
  }

  /** verify checks an adopted sandbox: the node's configuration still, its namespace still there, CHECK passing. */
  private async verify(record: AttachmentRecord | undefined): Promise<void> {
    if (!record) return;
    const sameConfig = JSON.stringify(record.config) === JSON.stringify(this.config);
    const reason = !sameConfig ? 'the node\'s network configuration changed' : !(await isBoundNetns(record.attachment.netns)) ? 'its namespace is gone' : await this.options.sandboxes.check(record, 'background').then(() => undefined, (err: unknown) => `CHECK failed: ${String(err)}`);
    if (reason === undefined) {
      this.ready.push(record);
      return;
    }
    this.options.logger.info('pod sandbox pool: removing a sandbox an earlier agent left', { sandboxId: record.sandboxId, reason });
    this.stale.push(record);
  }

  /** remove runs DEL for a pool sandbox, then removes its namespace and record. */
  private async remove(record: AttachmentRecord | undefined): Promise<void> {
    if (!record) return;
    const netns = record.attachment.netns;
    const bound = await isBoundNetns(netns);
    try {
      await this.options.sandboxes.del(record.sandboxId, bound ? netns : '', () => Promise.resolve(record.config), 'background');
    } catch (err) {
      this.stale.push(record); // tried again after the back-off
      throw err;
    }
    await removePodNetns(netns);
    await this.options.sandboxes.forget(record.sandboxId);
  }
}
