import { join } from 'node:path';
import type { Logger } from 'winston';
import { AttachmentStore, type AttachmentRecord } from './attachment-store.js';
import type { CommandRunner } from './commands.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { DEFAULT_BRIDGE, podNetworkConfig, type NodeNetworkSettings } from './cni-config.js';
import { CniPluginChain, DEFAULT_CNI_BIN_DIR } from './cni-plugins.js';
import { podIPOf } from './cni-result.js';
import type { CniAttachment, CniRuntimeConfig } from './cni-types.js';
import { createPodNetns, isBoundNetns, removePodNetns } from './pod-netns.js';
import { podNetnsPath, type PodAttachment, type PodNetwork, type PodNetworkRequest } from './pod-network.js';

/** The pod's interface inside its namespace. */
export const POD_IFNAME = 'eth0';
/** Plugin chains run at once: enough to overlap one pod's netlink waits with another's start-up, few enough for a 2-core node. */
const DEFAULT_MAX_CONCURRENT = 4;

/** CniPodNetworkOptions is used to set up a CniPodNetwork. */
export interface CniPodNetworkOptions {
  /** The agent's network state directory (<root>/network): attachment records and host-local's leases. */
  stateDir: string;
  run: CommandRunner;
  logger: Logger;
  binDir?: string;
  bridge?: string;
  maxConcurrent?: number;
}

/**
 * CniPodNetwork is the PodNetwork of the CNI plugins: each pod's namespace is attached to the
 * node's bridge by the configuration list of cni-config.ts (one run of the bridge plugin, which
 * runs host-local; portmap too for a pod with host ports). The pod's container id for the
 * plugins is its uid, its interface eth0.
 *
 * The pod CIDR arrives with configure() (from the state directory at start, then from
 * registration); an ADD waits for it. Each ADD's configuration and result are recorded
 * (AttachmentStore), so a restarted agent CHECKs an adopted pod against its own ADD and keeps
 * its IP, and DEL uses the configuration the pod was attached with.
 */
export class CniPodNetwork implements PodNetwork {
  private records = new Map<string, AttachmentRecord>();
  private loaded: Promise<void> | undefined;
  private settings: NodeNetworkSettings | undefined;
  private readonly settingsWaiters: Array<(s: NodeNetworkSettings) => void> = [];
  private readonly store: AttachmentStore;
  private readonly chain: CniPluginChain;
  private readonly limit: ConcurrencyLimit;
  /** CHECKs come all at once when an agent restarts and adopts its pods: one at a time, so the agent's own start (registration, lease) keeps a core. */
  private readonly checkLimit = new ConcurrencyLimit(1);

  constructor(private readonly options: CniPodNetworkOptions) {
    this.store = new AttachmentStore(join(options.stateDir, 'pods'));
    this.chain = new CniPluginChain(options.run, options.binDir ?? DEFAULT_CNI_BIN_DIR);
    this.limit = new ConcurrencyLimit(options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT);
  }

  /** configure sets the node's pod CIDR: pods attached from now on get addresses from it. */
  configure(podCIDR: string): void {
    const settings = { podCIDR, bridge: this.options.bridge ?? DEFAULT_BRIDGE, ipamDataDir: join(this.options.stateDir, 'ipam') };
    podNetworkConfig(settings); // throws on a CIDR no configuration can be made of, before anything uses it
    this.settings = settings;
    for (const wake of this.settingsWaiters.splice(0)) wake(settings);
  }

  async setUp(pod: PodNetworkRequest): Promise<PodAttachment> {
    await this.load();
    const netnsPath = podNetnsPath(pod.uid);
    const made = await createPodNetns(netnsPath);
    const record = this.records.get(pod.uid);
    if (made && !record) return this.attach(pod, netnsPath);
    if (record && !made) {
      // Re-adoption by a restarted agent: the attachment should be as its ADD left it.
      try {
        await this.checkLimit.run(() => this.chain.check(record.config, record.attachment, record.result, record.runtimeConfig));
        return { netnsPath, podIP: this.ipOf(record) };
      } catch (err) {
        this.options.logger.warn('pod network check failed; attaching the pod again', { uid: pod.uid, podIP: this.ipOf(record), error: String(err) });
      }
    }
    // A namespace without a record (an agent stopped between its ADD and the record), a record
    // without a namespace (the namespaces went with a reboot), or a failed CHECK: start over.
    await this.detach(pod.uid, netnsPath, record);
    await this.forget(pod.uid);
    return this.attach(pod, netnsPath);
  }

  async tearDown(podUid: string): Promise<void> {
    await this.load();
    const netnsPath = podNetnsPath(podUid);
    const record = this.records.get(podUid);
    // The plugins are given the namespace only if it is one: gone, or a file a crash left, they only release the address.
    const bound = await isBoundNetns(netnsPath);
    if (record || bound) await this.detach(podUid, bound ? netnsPath : '', record);
    await removePodNetns(netnsPath);
    await this.forget(podUid);
  }

  async removeOthers(keep: ReadonlySet<string>): Promise<void> {
    await this.load();
    for (const uid of [...this.records.keys()].filter((u) => !keep.has(u))) {
      this.options.logger.info('detaching a pod the agent no longer has from the network', { uid });
      await this.tearDown(uid).catch((err: unknown) => this.options.logger.warn('detaching a leftover pod failed', { uid, error: String(err) }));
    }
  }

  private load(): Promise<void> {
    return (this.loaded ??= this.store.load().then(
      (records) => void (this.records = records),
      (err: unknown) => {
        this.loaded = undefined;
        throw new Error(`reading the pod network records in ${this.options.stateDir} failed: ${String(err)}`, { cause: err });
      },
    ));
  }

  private async attach(pod: PodNetworkRequest, netnsPath: string): Promise<PodAttachment> {
    const config = podNetworkConfig(await this.currentSettings(), pod.portMappings);
    const runtimeConfig: CniRuntimeConfig = pod.portMappings.length > 0 ? { portMappings: pod.portMappings } : {};
    const attachment: CniAttachment = { containerId: pod.uid, ifName: POD_IFNAME, netns: netnsPath };
    const result = await this.limit.run(() => this.chain.add(config, attachment, runtimeConfig));
    const record: AttachmentRecord = { podUid: pod.uid, attachment, config, runtimeConfig, result };
    const podIP = this.ipOf(record);
    try {
      if (!podIP) throw new Error(`CNI network ${config.name} gave pod ${pod.namespace}/${pod.name} no IPv4 address: ${JSON.stringify(result)}`);
      await this.store.save(record);
    } catch (err) {
      await this.limit.run(() => this.chain.del(config, attachment, result, runtimeConfig)).catch(() => undefined); // undo the ADD
      throw err;
    }
    this.records.set(pod.uid, record);
    return { netnsPath, podIP };
  }

  /** detach runs DEL with the configuration of the pod's ADD, or with the node's when there is no record of one. */
  private async detach(podUid: string, netnsPath: string, record: AttachmentRecord | undefined): Promise<void> {
    const config = record?.config ?? podNetworkConfig(await this.currentSettings());
    const attachment: CniAttachment = { containerId: podUid, ifName: record?.attachment.ifName ?? POD_IFNAME, netns: netnsPath };
    await this.limit.run(() => this.chain.del(config, attachment, record?.result, record?.runtimeConfig ?? {}));
  }

  private async forget(podUid: string): Promise<void> {
    if (!this.records.has(podUid)) return;
    await this.store.remove(podUid);
    this.records.delete(podUid);
  }

  private currentSettings(): Promise<NodeNetworkSettings> {
    if (this.settings) return Promise.resolve(this.settings);
    return new Promise((resolve) => this.settingsWaiters.push(resolve));
  }

  private ipOf(record: AttachmentRecord): string | undefined {
    return podIPOf(record.result, record.attachment.ifName);
  }
}
