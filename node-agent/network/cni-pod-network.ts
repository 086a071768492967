import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'winston';
import { AttachmentStore, type AttachmentRecord } from './attachment-store.js';
import { atIdlePriority, type CommandRunner } from './commands.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { DEFAULT_BRIDGE, podNetworkConfig, type NodeNetworkSettings } from './cni-config.js';
import { CniPluginChain, DEFAULT_CNI_BIN_DIR } from './cni-plugins.js';
import { CniSandboxes, ipOf, POD_IFNAME } from './cni-sandboxes.js';
import type { CniNetworkConfigList, CniRuntimeConfig } from './cni-types.js';
import { podAddressCount } from './ipv4.js';
import { createPodNetns, isBoundNetns, removePodNetns } from './pod-netns.js';
import { podNetnsPath, type PodAttachment, type PodNetwork, type PodNetworkRequest } from './pod-network.js';
import { chooseSandbox } from './sandbox-pool-policy.js';
import { SandboxPool } from './sandbox-pool.js';

export { POD_IFNAME } from './cni-sandboxes.js';

/** CniPodNetworkOptions is used to set up a CniPodNetwork. */
export interface CniPodNetworkOptions {
  /** The agent's network state directory (<root>/network): sandbox records and host-local's leases. */
  stateDir: string;
  run: CommandRunner;
  logger: Logger;
  binDir?: string;
  bridge?: string;
  maxConcurrent?: number;
  /** Sandboxes the warm pool keeps attached for pods to take (default 0: no pool). */
  poolSize?: number;
  /** How long the pool keeps still after a pod's setUp (default 2 s). */
  poolQuietMs?: number;
}

/**
 * CniPodNetwork is the PodNetwork of the CNI plugins: each pod's namespace is attached to the
 * node's bridge by the configuration list of cni-config.ts (one run of the bridge plugin, which
 * runs host-local; portmap too for a pod with host ports), interface eth0.
 *
 * A pod gets a sandbox (namespace and attachment, cni-sandboxes.ts) in one of three ways
 * (chooseSandbox): a restarted agent adopts the one the pod has, CHECKing it and keeping its IP;
 * a new pod takes a ready sandbox of the warm pool (sandbox-pool.ts) at once, its IP the
 * sandbox's; a pod with host ports, or one that finds the pool empty, gets a sandbox of its own
 * (its id the pod's uid, namespace berth-<uid prefix>), attached while it waits. Whichever it got,
 * the sandbox goes with the pod: DEL, namespace removed, record removed.
 *
 * The pod CIDR arrives with configure() (from the state directory at start, then from
 * registration); an ADD waits for it, and so does the pool.
 */
export class CniPodNetwork implements PodNetwork {
  private loaded: Promise<void> | undefined;
  private settings: NodeNetworkSettings | undefined;
  private readonly settingsWaiters: Array<(s: NodeNetworkSettings) => void> = [];
  private readonly sandboxes: CniSandboxes;
  private readonly pool: SandboxPool;
  /** CHECKs come all at once when an agent restarts and adopts its pods: one at a time, so the agent's own start (registration, lease) keeps a core. */
  private readonly checkLimit = new ConcurrencyLimit(1);

  constructor(private readonly options: CniPodNetworkOptions) {
    const binDir = options.binDir ?? DEFAULT_CNI_BIN_DIR;
    const chains = { now: new CniPluginChain(options.run, binDir), background: new CniPluginChain(atIdlePriority(options.run), binDir) };
    this.sandboxes = new CniSandboxes(new AttachmentStore(join(options.stateDir, 'pods')), chains, options.maxConcurrent);
    this.pool = new SandboxPool({ target: options.poolSize ?? 0, sandboxes: this.sandboxes, logger: options.logger, ...(options.poolQuietMs !== undefined ? { quietMs: options.poolQuietMs } : {}) });
  }

  /** configure sets the node's pod CIDR: pods attached from now on get addresses from it. */
  configure(podCIDR: string): void {
    const settings = { podCIDR, bridge: this.options.bridge ?? DEFAULT_BRIDGE, ipamDataDir: join(this.options.stateDir, 'ipam') };
    const config = podNetworkConfig(settings); // throws on a CIDR no configuration can be made of, before anything uses it
    this.settings = settings;
    for (const wake of this.settingsWaiters.splice(0)) wake(settings);
    // The pool starts once it has the records an earlier agent left.
    this.load().then(
      () => this.pool.configure(config, podAddressCount(podCIDR)),
      (err: unknown) => this.options.logger.error('pod network records unreadable; the pod sandbox pool stays empty', { error: String(err) }),
    );
  }

  async setUp(pod: PodNetworkRequest): Promise<PodAttachment> {
    await this.load();
    this.pool.podSetUpBegan();
    try {
      return await this.setUpSandbox(pod);
    } finally {
      this.pool.podSetUpEnded();
    }
  }

  async tearDown(podUid: string): Promise<void> {
    await this.load();
    const record = this.sandboxes.ofPod(podUid);
    if (record) await this.removeSandbox(record.sandboxId, record.attachment.netns);
    // The pod's own namespace, also without a record (an agent stopped between its ADD and the record).
    const own = podNetnsPath(podUid);
    if (record?.attachment.netns !== own) await this.removeSandbox(podUid, own);
  }

  async removeOthers(keep: ReadonlySet<string>): Promise<void> {
    await this.load();
    for (const uid of this.sandboxes.pods().filter((u) => !keep.has(u))) {
      this.options.logger.info('detaching a pod the agent no longer has from the network', { uid });
      await this.tearDown(uid).catch((err: unknown) => this.options.logger.warn('detaching a leftover pod failed', { uid, error: String(err) }));
    }
  }

  /** The ids of the pool's ready sandboxes. */
  poolReady(): string[] {
    return this.pool.readyIds();
  }

  /** poolSettled resolves once the pool has nothing to do for now (see SandboxPool.settled). */
  async poolSettled(): Promise<void> {
    await this.load();
    await this.pool.settled();
  }

  /** removePool stops the pool and removes every sandbox no pod has taken (an agent leaving its node for good; tests). */
  async removePool(): Promise<void> {
    await this.load();
    await this.pool.drain();
  }

  /** stop ends the pool's work; its sandboxes stay for the next agent to adopt. */
  stop(): void {
    this.pool.stop();
  }

  private load(): Promise<void> {
    return (this.loaded ??= this.sandboxes.load().then(
      (records) => this.pool.adopt(records),
      (err: unknown) => {
        this.loaded = undefined;
        throw new Error(`reading the pod network records in ${this.options.stateDir} failed: ${String(err)}`, { cause: err });
      },
    ));
  }

  private async setUpSandbox(pod: PodNetworkRequest): Promise<PodAttachment> {
    const own = this.sandboxes.ofPod(pod.uid);
    const choice = chooseSandbox({ sandboxId: own?.sandboxId, hostPorts: pod.portMappings.length }, this.pool.readyIds());
    if (choice.kind === 'adopt' && own) return this.adopt(pod, own);
    const taken = choice.kind === 'take' ? this.pool.take(choice.sandboxId) : undefined;
    if (!taken) return this.attach(pod);
    try {
      const record = await this.sandboxes.assign(taken, pod.uid);
      return { netnsPath: record.attachment.netns, podIP: ipOf(record) };
    } catch (err) {
      this.pool.discard(taken);
      throw err;
    }
  }

  /** adopt keeps the sandbox a pod has (a restarted agent): CHECKed against its own ADD; if that fails the pod is attached again. */
  private async adopt(pod: PodNetworkRequest, record: AttachmentRecord): Promise<PodAttachment> {
    const netnsPath = record.attachment.netns;
    if (await isBoundNetns(netnsPath)) {
      try {
        await this.checkLimit.run(() => this.sandboxes.check(record, 'now'));
        return { netnsPath, podIP: ipOf(record) };
      } catch (err) {
        this.options.logger.warn('pod network check failed; attaching the pod again', { uid: pod.uid, podIP: ipOf(record), error: String(err) });
      }
    }
    // A record without a namespace (the namespaces went with a reboot) or a failed CHECK: start over.
    await this.removeSandbox(record.sandboxId, netnsPath);
    return this.attach(pod);
  }

  /** attach gives the pod a sandbox of its own (id: its uid), attached now. */
  private async attach(pod: PodNetworkRequest): Promise<PodAttachment> {
    const netnsPath = podNetnsPath(pod.uid);
    // A namespace there without a record: an agent stopped between its ADD and the record. Start over.
    if (!(await createPodNetns(netnsPath))) await this.sandboxes.del(pod.uid, netnsPath, () => this.nodeConfig(), 'now');
    const config = podNetworkConfig(await this.currentSettings(), pod.portMappings);
    const runtimeConfig: CniRuntimeConfig = pod.portMappings.length > 0 ? { portMappings: pod.portMappings } : {};
    const attachment = { containerId: pod.uid, ifName: POD_IFNAME, netns: netnsPath };
    const record = await this.sandboxes.add({ sandboxId: pod.uid, podUid: pod.uid, attachment, config, runtimeConfig }, 'now');
    return { netnsPath, podIP: ipOf(record) };
  }

  /** removeSandbox runs DEL (the plugins are given the namespace only if it is one: gone, or a file a crash left, they only release the address), then removes the namespace and the record. */
  private async removeSandbox(sandboxId: string, netnsPath: string): Promise<void> {
    const bound = await isBoundNetns(netnsPath);
    if (bound || this.sandboxes.has(sandboxId)) await this.sandboxes.del(sandboxId, bound ? netnsPath : '', () => this.nodeConfig(), 'now');
    // Not a bound namespace: absent, or a plain file a crash left, which needs no unmount.
    await (bound ? removePodNetns(netnsPath) : rm(netnsPath, { force: true }));
    await this.sandboxes.forget(sandboxId);
  }

  private async nodeConfig(): Promise<CniNetworkConfigList> {
    return podNetworkConfig(await this.currentSettings());
  }

  private currentSettings(): Promise<NodeNetworkSettings> {
    if (this.settings) return Promise.resolve(this.settings);
    return new Promise((resolve) => this.settingsWaiters.push(resolve));
  }
}
