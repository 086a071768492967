import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PodSpec } from '../../proto/objects/pod.js';
import { clusterFirstResolvConf, formatResolvConf, nodeResolvConf, parseResolvConf, type ResolvConf } from './resolv-conf.js';

/** PodDnsSettings are the node's: its cluster DNS (absent: none, pods fall back to the node's resolvers), domain and resolv.conf. */
export interface PodDnsSettings {
  clusterDomain: string;
  /** The address pods send DNS queries to; undefined when the node serves no cluster DNS (or does not know it yet). */
  clusterDNS: () => string | undefined;
  /** The node's resolv.conf (for dnsPolicy Default, and the search domains appended to the cluster's). */
  resolvConfPath: string;
}

/** PodResolv is the file a pod's containers get as /etc/resolv.conf, and whether its policy could be honoured. */
export interface PodResolv {
  hostPath: string;
  /** Set when ClusterFirst was asked but the node has no cluster DNS (Kubernetes' MissingClusterDNS). */
  warning?: string;
}

/**
 * PodResolvFiles is used to give each pod's containers their /etc/resolv.conf, by dnsPolicy:
 * ClusterFirst (the default; ClusterFirstWithHostNet too, pods here never use the host's
 * network) gets the cluster DNS with the Kubernetes search path and ndots:5; Default gets the
 * node's resolv.conf; None gets an empty one (dnsConfig is not supported).
 *
 * The content depends only on the namespace and the policy, so one file per namespace and
 * policy is written under `<root>/resolv/` (atomically, once per agent process) and mounted
 * read-only in every container that needs it: a pod start creates no file of its own, and
 * nothing has to be removed when a pod goes.
 */
export class PodResolvFiles {
  private readonly dir: string;
  private readonly written = new Map<string, Promise<string>>();
  private node: Promise<ResolvConf> | undefined;

  constructor(root: string, private readonly settings: PodDnsSettings) {
    this.dir = join(root, 'resolv');
  }

  /** forPod returns the resolv.conf for a pod of `namespace` with `spec` (written if its content changed, e.g. a new cluster DNS address). */
  async forPod(namespace: string, spec: Pick<PodSpec, 'dnsPolicy'>): Promise<PodResolv> {
    const policy = spec.dnsPolicy ?? 'ClusterFirst';
    if (policy === 'None') return { hostPath: await this.file('none.conf', () => Promise.resolve('')) };
    const dnsIP = this.settings.clusterDNS();
    if (policy === 'Default' || dnsIP === undefined) {
      const hostPath = await this.file('node.conf', async () => formatResolvConf(nodeResolvConf(await this.nodeConf())));
      return policy === 'Default' ? { hostPath } : { hostPath, warning: 'pod requests ClusterFirst DNS but this node serves no cluster DNS; falling back to the node\'s resolvers' };
    }
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) throw new Error(`namespace "${namespace}" is not a DNS label`);
    const hostPath = await this.file(`cluster-${namespace}.conf`, async () => formatResolvConf(clusterFirstResolvConf(namespace, this.settings.clusterDomain, dnsIP, await this.nodeConf())));
    return { hostPath };
  }

  private nodeConf(): Promise<ResolvConf> {
    // A node without a resolv.conf has no resolvers of its own: pods get the cluster's only.
    return (this.node ??= readFile(this.settings.resolvConfPath, 'utf8').then(parseResolvConf, () => parseResolvConf('')));
  }

  /** file writes `<dir>/<name>` with `content` unless this process already wrote exactly that; resolves to its path. */
  private async file(name: string, content: () => Promise<string>): Promise<string> {
    const text = await content();
    const key = `${name}\n${text}`;
    let done = this.written.get(key);
    if (!done) {
      done = (async () => {
        await mkdir(this.dir, { recursive: true, mode: 0o755 });
        const path = join(this.dir, name);
        const tmp = `${path}.tmp`;
        await writeFile(tmp, text, { mode: 0o644 });
        await rename(tmp, path);
        return path;
      })();
      this.written.set(key, done);
      // A failed write is tried again by the next pod (the caller sees this failure).
      void done.then(undefined, () => this.written.delete(key));
    }
    return done;
  }
}
