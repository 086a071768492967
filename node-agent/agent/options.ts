import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_LAYER_MAX_BYTES, DEFAULT_LAYER_MAX_ENTRIES, type LayerLimits } from '../image/index.js';
import { DEFAULT_CNI_BIN_DIR } from '../network/cni-plugins.js';
import { DEFAULT_LOG_ROTATION } from '../runtime/index.js';
import { parseCidr } from '../network/ipv4.js';
import { DEFAULT_CLUSTER_CIDR, DEFAULT_SERVICE_CIDR } from '../network/node-network.js';
import { DEFAULT_ID_POOL, type IdPool, parseIdPool } from '../userns/id-ranges.js';

/**
 * PodNetworkMode is used to choose how pods are networked: `cni` attaches each to the node's
 * bridge with the CNI plugins (an IP, routes to other nodes, masquerade); `loopback` gives each
 * a namespace with loopback only, for an agent that does not own its network namespace.
 */
export type PodNetworkMode = 'cni' | 'loopback';

/** AgentOptions mirror the berth-agent flags. */
export interface AgentOptions {
  server: string;
  name: string;
  /** The node's credentials: ca.crt, tls.crt and tls.key (the certificate names the node). */
  tlsDir: string;
  root: string;
  nodeIP: string;
  cgroupParent: string;
  /** Registry host → mirror endpoints, tried before the registry itself. */
  mirrors: Record<string, string[]>;
  insecureRegistries: string[];
  /** Only the mirrors are asked for a registry that has some (no fallback to the origin). */
  mirrorsOnly: boolean;
  agentPort: number;
  maxPods: number;
  logLevel: string;
  podNetwork: PodNetworkMode;
  /** Where the CNI plugins are (bridge, host-local, portmap). */
  cniBinDir: string;
  /** Pod sandboxes kept attached in advance for new pods to take (0: none). */
  podSandboxPool: number;
  /** The cluster's pod addresses: traffic to them is not masqueraded. */
  clusterCIDR: string;
  /** The Services' virtual addresses: traffic to them is not masqueraded either. */
  serviceCIDR: string;
  /** The cluster's DNS domain (Services are `<svc>.<ns>.svc.<domain>`). */
  clusterDomain: string;
  /** The address of the node's DNS server, when not the first address of the node's pod CIDR. */
  clusterDNS?: string;
  /** Serve cluster DNS on this node. */
  dns: boolean;
  /** Program the service proxy (nftables) in the agent's network namespace. */
  serviceProxy: boolean;
  /** The node's resolv.conf (upstream resolvers; pods with dnsPolicy Default). */
  resolvConf: string;
  /** How much one image layer may unpack to. */
  layerLimits: LayerLimits;
  /** A container's log file is rotated when a record would take it past this size (bytes). */
  containerLogMaxSize: number;
  /** Log files kept per container, the one being written included (at least 2). */
  containerLogMaxFiles: number;
  /** The host ids this node hands out to pods with `hostUsers: false`, 65536 per pod. */
  usernsIds: IdPool;
}


/** Enough for a burst of a third of the 110 pods a node takes by default; each holds one of the 253 addresses of a /24. */
export const DEFAULT_POD_SANDBOX_POOL = 32;

const DOMAIN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

function domain(value: string): string {
  const d = value.toLowerCase().replace(/\.$/, '');
  if (!DOMAIN.test(d)) throw new InvalidArgumentError('not a DNS domain such as cluster.local');
  return d;
}

function ipv4(value: string): string {
  if (!/^(\d{1,3})(\.\d{1,3}){3}$/.test(value) || value.split('.').some((p) => Number(p) > 255)) throw new InvalidArgumentError('not an IPv4 address');
  return value;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('not a non-negative integer');
  return n;
}

const BINARY_SUFFIX: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** parseByteSize reads a quantity of bytes as Kubernetes writes one: `10Mi`, `20Gi`, `4096`. */
export function parseByteSize(value: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(value);
  const n = m ? Number(m[1]) * (BINARY_SUFFIX[m[2] ?? ''] ?? 1) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('not a size in bytes such as 4096, 10Mi or 20Gi');
  return n;
}

function positive(value: string): number {
  const n = integer(value);
  if (n === 0) throw new InvalidArgumentError('must be at least 1');
  return n;
}

function logFiles(value: string): number {
  const n = integer(value);
  if (n < 2) throw new InvalidArgumentError('must be at least 2 (the file being written and one rotated file)');
  return n;
}

function cidr(value: string): string {
  try {
    parseCidr(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

function idPool(value: string): IdPool {
  try {
    return parseIdPool(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** parseMirrors turns `HOST=URL` flags into the ImageStore's mirror table. */
export function parseMirrors(flags: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0 || eq === flag.length - 1) throw new InvalidArgumentError(`--registry-mirror ${flag}: expected HOST=URL, e.g. docker.io=http://127.0.0.1:5000`);
    const host = flag.slice(0, eq);
    (out[host] ??= []).push(flag.slice(eq + 1));
  }
  return out;
}

/** parseAgentOptions reads process arguments (commander exits with usage on a bad flag). */
export function parseAgentOptions(argv: string[], version: string): AgentOptions {
  const program = new Command('berth-agent')
    .description('Berth node agent: registers the node, runs the pods bound to it, reports their status')
    .version(version)
    .requiredOption('--server <host:port>', 'the control plane NodeAPI address')
    .requiredOption('--name <node>', 'this node\'s name')
    .requiredOption('--root <dir>', 'state directory (images, containers, pod specs)')
    .requiredOption('--tls-dir <dir>', 'the node\'s credentials: ca.crt (the cluster CA), tls.crt and tls.key (the node\'s certificate, presented to the control plane and served on AgentAPI)')
    .option('--node-ip <ip>', 'the node address other nodes and the control plane reach it at', '127.0.0.1')
    .option('--cgroup-parent <path>', 'cgroup all pods go under (default /berth/<name>)')
    .option('--registry-mirror <host=url>', 'a mirror for a registry; repeatable', collect, [] as string[])
    .option('--insecure-registry <host>', 'a registry spoken to over plain HTTP; repeatable', collect, [] as string[])
    .option('--registry-mirror-only', 'never fall back from a registry\'s mirrors to the registry itself')
    .option('--agent-port <port>', 'AgentAPI (logs) port', integer, 10250)
    .option('--max-pods <n>', 'pods this node accepts', integer, 110)
    .option('--log-level <level>', 'error, warn, info, debug', process.env.BERTH_LOG_LEVEL ?? 'info')
    .addOption(new Option('--pod-network <mode>', 'cni: pods get IPs on the node\'s bridge (the agent must own its network namespace); loopback: pods get loopback only').choices(['cni', 'loopback']).default('cni'))
    .option('--cni-bin-dir <dir>', 'where the CNI plugins are', DEFAULT_CNI_BIN_DIR)
    .option('--pod-sandbox-pool <n>', 'pod network sandboxes kept attached in advance, refilled in the background when no pod is starting, so a new pod starts without waiting for the CNI plugins; each holds an address of the pod CIDR (0: none)', integer, DEFAULT_POD_SANDBOX_POOL)
    .option('--cluster-cidr <cidr>', 'the cluster\'s pod addresses (pod-to-pod traffic is not masqueraded)', cidr, DEFAULT_CLUSTER_CIDR)
    .option('--service-cidr <cidr>', 'the Services\' virtual addresses (not masqueraded either)', cidr, DEFAULT_SERVICE_CIDR)
    .option('--cluster-domain <domain>', 'the cluster\'s DNS domain', domain, 'cluster.local')
    .option('--cluster-dns <ip>', 'the address the node\'s DNS server listens on and pods query (default: the first address of the node\'s pod CIDR, the pod bridge)', ipv4)
    .option('--no-cluster-dns', 'serve no cluster DNS on this node (ClusterFirst pods get the node\'s resolvers)')
    .option('--no-service-proxy', 'do not program the service proxy (nftables table ip berth-proxy)')
    .option('--resolv-conf <path>', 'the node\'s resolv.conf: upstream resolvers, and pods with dnsPolicy Default', '/etc/resolv.conf')
    .option('--layer-max-bytes <size>', 'the most one image layer may unpack to, in uncompressed bytes (4096, 512Mi, 20Gi); a larger layer (or a decompression bomb) fails its pull with ErrImagePull', parseByteSize, DEFAULT_LAYER_MAX_BYTES)
    .option('--layer-max-entries <n>', 'the most files, directories and links one image layer may hold; more fail the pull with ErrImagePull', positive, DEFAULT_LAYER_MAX_ENTRIES)
    .option('--container-log-max-size <size>', 'a container\'s log file is rotated before it grows past this size (as the kubelet\'s flag of the same name)', parseByteSize, DEFAULT_LOG_ROTATION.maxBytes)
    .option('--container-log-max-files <n>', 'log files kept per container, the one being written included; the oldest is deleted at a rotation (at least 2)', logFiles, DEFAULT_LOG_ROTATION.maxFiles)
    .option('--userns-ids <first-last>', 'host ids handed out to pods with hostUsers: false, 65536 per pod, each range starting at a multiple of 65536 (no other pod of the node shares one)', idPool, DEFAULT_ID_POOL);
  program.parse(argv);
  const o = program.opts<{
    server: string;
    name: string;
    root: string;
    tlsDir: string;
    nodeIp: string;
    cgroupParent?: string;
    registryMirror: string[];
    insecureRegistry: string[];
    registryMirrorOnly?: boolean;
    agentPort: number;
    maxPods: number;
    logLevel: string;
    podNetwork: PodNetworkMode;
    cniBinDir: string;
    podSandboxPool: number;
    clusterCidr: string;
    serviceCidr: string;
    clusterDomain: string;
    /** An address, false with --no-cluster-dns, absent by default. */
    clusterDns?: string | false;
    serviceProxy: boolean;
    resolvConf: string;
    layerMaxBytes: number;
    layerMaxEntries: number;
    containerLogMaxSize: number;
    containerLogMaxFiles: number;
    usernsIds: IdPool;
  }>();
  return {
    server: o.server,
    name: o.name,
    tlsDir: o.tlsDir,
    root: o.root,
    nodeIP: o.nodeIp,
    cgroupParent: (o.cgroupParent ?? `/berth/${o.name}`).replace(/^\/+|\/+$/g, ''),
    mirrors: parseMirrors(o.registryMirror),
    insecureRegistries: o.insecureRegistry,
    mirrorsOnly: o.registryMirrorOnly ?? false,
    agentPort: o.agentPort,
    maxPods: o.maxPods,
    logLevel: o.logLevel,
    podNetwork: o.podNetwork,
    cniBinDir: o.cniBinDir,
    podSandboxPool: o.podSandboxPool,
    clusterCIDR: o.clusterCidr,
    serviceCIDR: o.serviceCidr,
    clusterDomain: o.clusterDomain,
    ...(typeof o.clusterDns === 'string' ? { clusterDNS: o.clusterDns } : {}),
    dns: o.clusterDns !== false,
    serviceProxy: o.serviceProxy,
    resolvConf: o.resolvConf,
    layerLimits: { maxBytes: o.layerMaxBytes, maxEntries: o.layerMaxEntries },
    containerLogMaxSize: o.containerLogMaxSize,
    containerLogMaxFiles: o.containerLogMaxFiles,
    usernsIds: o.usernsIds,
  };
}
