import { readFile } from 'node:fs/promises';
import type { Logger } from 'winston';
import { ClusterZone } from '../dns/cluster-zone.js';
import { DnsServer } from '../dns/dns-server.js';
import { Forwarder, type Upstream } from '../dns/forwarder.js';
import { PodResolvFiles } from '../dns/pod-resolv.js';
import { parseResolvConf } from '../dns/resolv-conf.js';
import { feedZone } from '../dns/zone-feed.js';
import { isIPv4 } from '../services/endpoints.js';
import { CommandConntrack } from '../services/conntrack.js';
import { CommandNft } from '../services/nft-runner.js';
import { ServiceCache } from '../services/service-cache.js';
import { ServiceProxy } from '../services/service-proxy.js';
import { ServiceSnapshot } from '../services/service-snapshot.js';
import { ServiceSource } from '../services/service-source.js';
import { ProxySyncReporter } from '../services/proxy-sync-reporter.js';
import { ServiceDiscoveryExtras, type ContainerExtras } from './container-extras.js';
import type { NodeClient } from './node-client.js';

/** ServiceDiscoveryOptions are the agent's flags for service networking. */
export interface ServiceDiscoveryOptions {
  /** The agent's state directory (pods' resolv.conf files go under it). */
  root: string;
  clusterDomain: string;
  /** The address the DNS server listens on and pods query; default: the first address of the node's pod CIDR (the pod bridge's gateway). */
  clusterDNS?: string;
  /** Serve DNS at all (without it, ClusterFirst pods get the node's resolvers). */
  dns: boolean;
  /** Program the service proxy (nftables) in the agent's network namespace. */
  proxy: boolean;
  /** The node's resolv.conf: upstream resolvers, and dnsPolicy Default. */
  resolvConf: string;
}

/** How long an upstream resolver gets before the next is asked (glibc's stub waits 5 s, then retries). */
const UPSTREAM_TIMEOUT_MS = 2_000;
const DNS_PORT = 53;

/** firstAddress is the first host address of an IPv4 CIDR (`10.244.3.0/24` → `10.244.3.1`). */
export function firstAddress(cidr: string): string | undefined {
  const [ip = '', len = ''] = cidr.split('/');
  if (!isIPv4(ip) || !/^\d+$/.test(len) || Number(len) > 30) return undefined;
  const n = ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0) + 1;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/**
 * ServiceDiscovery is used by the agent for everything Services give a node: one ServiceCache
 * fed by NodeAPI.WatchServices, and from it the service proxy (nftables), the DNS server and
 * what containers get (resolv.conf, Service environment variables).
 *
 * Lifecycle: made with the agent; restore() before pods are adopted: the Services and pod CIDR
 * saved by an earlier agent come back (ServiceSnapshot) and the DNS server starts on them, so
 * pods keep resolving cluster names while the control plane cannot be reached. start(podCIDR)
 * once the node is registered: the watch and the proxy start, the DNS server moves if the pod
 * CIDR changed. stop() ends all of it and leaves the nftables rules in place.
 */
export class ServiceDiscovery {
  readonly cache = new ServiceCache();
  readonly extras: ContainerExtras;
  private readonly zone: ClusterZone;
  private readonly stopFeed: () => void;
  private readonly snapshot: ServiceSnapshot;
  private dnsAddress: string | undefined;
  private dns: DnsServer | undefined;
  private proxy: ServiceProxy | undefined;
  private proxySync: ProxySyncReporter | undefined;
  private source: ServiceSource | undefined;

  constructor(private readonly options: ServiceDiscoveryOptions, private readonly client: NodeClient, private readonly logger: Logger) {
    this.zone = new ClusterZone(options.clusterDomain);
    this.stopFeed = feedZone(this.cache, this.zone);
    this.snapshot = new ServiceSnapshot(options.root, this.cache, logger);
    const resolv = new PodResolvFiles(options.root, { clusterDomain: options.clusterDomain, clusterDNS: () => (options.dns ? this.dnsAddress : undefined), resolvConfPath: options.resolvConf });
    this.extras = new ServiceDiscoveryExtras(resolv, this.cache, () => this.listenDns());
  }

  /** restore brings back what an earlier agent saved and serves DNS from it until the control plane answers. */
  async restore(): Promise<void> {
    const podCIDR = await this.snapshot.load();
    if (podCIDR !== undefined) await this.startDns(podCIDR);
  }

  /** start begins the watch and the proxy, and serves DNS; `podCIDR` is the node's (from registration). */
  async start(podCIDR: string): Promise<void> {
    this.snapshot.follow(podCIDR);
    const reporter = (this.proxySync = new ProxySyncReporter((rv) => this.client.reportProxySync(rv), this.logger));
    // Without a proxy this node sends no connection anywhere: it is synced with whatever it has seen.
    const applied = (relisted: boolean): void => {
      if (!this.options.proxy) reporter.offer(this.cache.revision);
      else if (relisted) reporter.resend();
    };
    this.source = new ServiceSource(() => this.client.watchServices(), this.cache, this.logger, applied);
    this.source.start();
    if (this.options.proxy) {
      this.proxy = new ServiceProxy(this.cache, new CommandNft(), this.logger, (report) => reporter.offer(report.revision), new CommandConntrack());
      this.proxy.start();
    }
    await this.startDns(podCIDR);
  }

  stop(): void {
    this.source?.stop();
    this.proxy?.stop();
    this.proxySync?.stop();
    this.dns?.stop();
    this.snapshot.stop();
    this.stopFeed();
  }

  /** startDns serves DNS on the cluster DNS address for `podCIDR` (moving there if it served elsewhere). */
  private async startDns(podCIDR: string): Promise<void> {
    if (!this.options.dns) return;
    const address = this.options.clusterDNS ?? firstAddress(podCIDR);
    if (address === undefined) {
      this.logger.error('no cluster DNS address: the node has no pod CIDR and --cluster-dns is not set; pods get the node\'s resolvers', { podCIDR });
      return;
    }
    if (this.dns && address === this.dnsAddress) return;
    this.dns?.stop();
    this.dnsAddress = address;
    const upstreams = await this.upstreams(address);
    this.dns = new DnsServer({ address, port: DNS_PORT, zone: this.zone, forwarder: new Forwarder(upstreams, { timeoutMs: UPSTREAM_TIMEOUT_MS, maxPending: 4096 }), logger: this.logger });
    if (!(await this.listenDns())) this.logger.info('DNS server waits for its address to appear (the pod bridge)', { address });
  }

  /** listenDns makes the DNS server listen if it can now; a failure is logged, never thrown (pods still start). */
  private async listenDns(): Promise<boolean> {
    try {
      return (await this.dns?.listen()) ?? false;
    } catch (err) {
      this.logger.error('DNS server cannot listen', { address: this.dnsAddress, error: String(err) });
      return false;
    }
  }

  /** The node's resolvers, from its resolv.conf: IPv4 ones only, never the cluster DNS itself. */
  private async upstreams(self: string): Promise<Upstream[]> {
    let text = '';
    try {
      text = await readFile(this.options.resolvConf, 'utf8');
    } catch (err) {
      this.logger.warn('cannot read the node\'s resolv.conf; names outside the cluster will not resolve', { path: this.options.resolvConf, error: String(err) });
    }
    const servers = parseResolvConf(text).nameservers.filter((n) => isIPv4(n) && n !== self);
    if (servers.length === 0) this.logger.warn('no IPv4 nameserver in the node\'s resolv.conf; names outside the cluster get SERVFAIL', { path: this.options.resolvConf });
    return servers.map((address) => ({ address, port: DNS_PORT }));
  }
}
