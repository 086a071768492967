import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'winston';
import type { CniPodNetwork } from './cni-pod-network.js';
import type { CommandRunner } from './commands.js';
import { parseCidr } from './ipv4.js';
import { ensureBridgeNetfilter } from './bridge-netfilter.js';
import { installMasquerade } from './masquerade.js';

/** The cluster CIDR pod CIDRs are cut from (the control plane's default). */
export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16';
/** The service CIDR ClusterIPs come from (the control plane's default). */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/16';
/** How soon a failed masquerade setup is tried again. */
const RETRY_MS = 5_000;

/** NodeNetworkOptions is used to set up a NodeNetwork. */
export interface NodeNetworkOptions {
  /** The agent's network state directory (<root>/network); the pod CIDR is kept in node.json there. */
  stateDir: string;
  clusterCIDR: string;
  serviceCIDR: string;
  run: CommandRunner;
  pods: CniPodNetwork;
  logger: Logger;
}

/**
 * NodeNetwork is used for what the node's network needs once per node: its pod CIDR (kept in
 * the state directory, so a restarted agent attaches and masquerades before the control plane
 * answers) given to the pod network, the masquerade rule for it, and netfilter for bridged
 * traffic (bridge-netfilter.ts).
 *
 * Lifecycle: start() picks up the pod CIDR an earlier agent kept; configure() with the one each
 * registration gives (a change is kept, and the masquerade rule follows in the background);
 * stop() ends the retries and the pod network's background work.
 */
export class NodeNetwork {
  private current: string | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: NodeNetworkOptions) {
    parseCidr(options.clusterCIDR);
    parseCidr(options.serviceCIDR);
  }

  /** The node's pod CIDR, once known (reported at registration so the node keeps it). */
  get podCIDR(): string | undefined {
    return this.current;
  }

  async start(): Promise<void> {
    await mkdir(this.options.stateDir, { recursive: true, mode: 0o700 });
    await ensureBridgeNetfilter(this.options.run, this.options.logger);
    let kept: string | undefined;
    try {
      kept = (JSON.parse(await readFile(this.file(), 'utf8')) as { podCIDR?: string }).podCIDR;
    } catch {
      return; // never registered: the pod CIDR comes with registration
    }
    if (kept) await this.configure(kept);
  }

  async configure(podCIDR: string): Promise<void> {
    if (podCIDR === this.current) return;
    if (!podCIDR) throw new Error('the control plane gave this node no pod CIDR; pods cannot be attached to the network');
    parseCidr(podCIDR);
    if (this.current) this.options.logger.warn('the node\'s pod CIDR changed: pods attached before lose their gateway (their Node was deleted, so they go too)', { from: this.current, to: podCIDR });
    this.options.pods.configure(podCIDR);
    this.current = podCIDR;
    const tmp = `${this.file()}.tmp`;
    await writeFile(tmp, JSON.stringify({ podCIDR }), { mode: 0o600 });
    await rename(tmp, this.file());
    // In the background (it retries on its own): an agent restarting must not be slower to register and renew its lease.
    void this.masquerade();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.options.pods.stop();
  }

  private async masquerade(): Promise<void> {
    clearTimeout(this.retry);
    const podCIDR = this.current;
    if (this.stopped || !podCIDR) return;
    try {
      await installMasquerade(this.options.run, { podCIDR, clusterCIDR: this.options.clusterCIDR, serviceCIDR: this.options.serviceCIDR });
      this.options.logger.info('masquerade set up for traffic leaving the cluster', { podCIDR });
    } catch (err) {
      this.options.logger.error('setting up masquerade failed; retrying', { error: String(err) });
      this.retry = setTimeout(() => void this.masquerade(), RETRY_MS);
    }
  }

  private file(): string {
    return join(this.options.stateDir, 'node.json');
  }
}
