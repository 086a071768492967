import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { TlsMaterial } from '../../proto/security/tls-credentials.js';
import { configPath, credentialFields, readConfig, writeConfig } from '../config.js';
import { CliError } from '../errors.js';
import { buildBusyboxImage, LOCAL_BUSYBOX } from './busybox-image.js';
import { controlPlanePkiDir, createClusterPki, issueAdminCredentials, issueNodeTls } from './cluster-pki.js';
import { startControlPlane, waitControlPlaneReady, waitNodesReady } from './control-plane-process.js';
import { bridgeIp, checkLabCidrFree, createBridge, createNodeNamespace, ensureBridgeAbsent, ensureNetnsAbsent, labNames, nodeIp, parseLabCidr } from './lab-network.js';
import { mountsUnder } from './node-cleanup.js';
import { agentEntry, agentLaunch, controlPlaneEntry, runtimeBinary } from './paths.js';
import { isRunning, spawnDetached } from './processes.js';
import { readRecord, writeRecord, type ClusterRecord, type NodeRecord } from './record.js';
import { REGISTRY_PORT, startRegistry, waitRegistryReady, writeRegistryConfig } from './registry.js';
import { teardown } from './teardown.js';

/** LocalClusterOptions is used to choose what `berth up` builds and where it keeps it. */
export interface LocalClusterOptions {
  stateDir: string;
  /** The control plane's port (a `host:port` is accepted; the host is always the lab bridge address). */
  listen: string;
  etcdPort: number;
  nodes: number;
  /** The cluster's name: it names the bridge, the node namespaces and the cgroup root. */
  name: string;
  labCidr: string;
  /** How long `up` waits for every node to be Ready. */
  readyTimeoutMs: number;
  /** Nodes pull only from the local registry, never from the registries it mirrors. */
  mirrorOnly?: boolean;
}

/** The registries the local registry is a mirror for (image names under them resolve there first). */
const LOCAL_MIRRORED_REGISTRIES = ['docker.io', 'gcr.io', 'registry.k8s.io', 'quay.io', 'ghcr.io'];

const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/;

function listenPort(listen: string): number {
  const port = Number(/(?:^|:)(\d+)$/.exec(listen)?.[1]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError(`--listen "${listen}" has no port; give a port such as 6443`);
  return port;
}

/** The directories from `first` down to, not including, `leaf` (first is an ancestor of leaf). */
function parentsBetween(first: string, leaf: string): string[] {
  const out: string[] = [];
  for (let dir = dirname(leaf); dir.startsWith(first) && dir !== dirname(dir); dir = dirname(dir)) out.push(dir);
  return out;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, host, () => server.close(() => done(true)));
  });
}

/** isComplete: every process of the recorded cluster runs (else `up` removes the remains and starts afresh). */
function isComplete(record: ClusterRecord): boolean {
  const running = (pid: number | undefined, marker: string | undefined): boolean => pid !== undefined && marker !== undefined && isRunning(pid, marker);
  return (
    running(record.controlPlanePid, record.controlPlaneDataDir) &&
    running(record.registry?.pid, record.registry?.config) &&
    record.nodes.length > 0 &&
    record.nodes.every((n) => running(n.agentPid, n.root))
  );
}

/**
 * LocalCluster is everything `berth up` starts on this machine (docs/architecture.md section 10): a lab
 * bridge and one network namespace per node, a registry, the control plane with its embedded
 * etcd, and one agent per node. Lifecycle: up() records each step in cluster.json before it
 * takes it, waits until every node is Ready and points the CLI config at the cluster; when a
 * step fails it undoes all of them. down() undoes whatever is recorded.
 */
export class LocalCluster {
  private readonly stateDir: string;

  constructor(private readonly options: LocalClusterOptions) {
    this.stateDir = resolve(options.stateDir);
  }

  async up(log: (line: string) => void): Promise<void> {
    const { nodes, name, etcdPort } = this.options;
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > 200) throw new CliError(`--nodes must be between 1 and 200, got ${nodes}`);
    if (!NAME_PATTERN.test(name)) throw new CliError(`--name "${name}" must be 1-20 lowercase letters, digits or '-'`);
    if (process.getuid?.() !== 0) throw new CliError('berth up needs root: it creates network namespaces, a bridge, cgroups and mounts');
    for (const [file, hint] of [[controlPlaneEntry(), 'npm run build'], [agentEntry(), 'npm run build'], [runtimeBinary(), 'npm ci (node-gyp builds it)']] as const) {
      if (!existsSync(file)) throw new CliError(`${file} is missing: run ${hint} first`);
    }
    const subnet = parseLabCidr(this.options.labCidr);
    const existing = readRecord(this.stateDir);
    if (existing && isComplete(existing)) {
      log(`A local cluster is already running: control plane ${existing.server} (pid ${existing.controlPlanePid}), ${existing.nodes.length} node(s). berth down removes it.`);
      this.writeConfig(existing.server, await issueAdminCredentials(this.stateDir));
      return;
    }
    if (existing) {
      log(`Removing what is left of an earlier local cluster in ${this.stateDir}.`);
      await teardown(existing, log);
    }
    for (const port of [etcdPort, etcdPort + 1]) {
      if (!(await portFree('127.0.0.1', port))) throw new CliError(`port 127.0.0.1:${port} (--etcd-port${port === etcdPort ? '' : ' + 1, the etcd peer port'}) is already in use; choose another with --etcd-port`);
    }
    await checkLabCidrFree(subnet);
    const names = labNames(name);
    const ip = bridgeIp(subnet);
    const nodeIps = Array.from({ length: nodes }, (_, k) => nodeIp(subnet, k + 1));
    const firstMade = mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const record: ClusterRecord = {
      name,
      stateDir: this.stateDir,
      labCidr: subnet.cidr,
      bridgeIp: ip,
      server: `${ip}:${listenPort(this.options.listen)}`,
      controlPlaneDataDir: join(this.stateDir, 'control-plane'),
      etcdPort,
      cgroupRoot: `/berth-${name}`,
      nodes: [],
      dirs: [],
      // The state dir's parents up made (e.g. /var/lib/berth): down removes them if they are empty.
      parentsMade: firstMade && firstMade !== this.stateDir ? parentsBetween(firstMade, this.stateDir) : [],
    };
    writeRecord(record);
    // Ctrl-C (or SIGTERM) while up runs: stop at the next step and undo, like any other failure.
    const interrupted = new AbortController();
    const onSignal = (): void => interrupted.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await this.start(record, names, nodeIps, log, interrupted.signal);
    } catch (err) {
      log(`berth up ${interrupted.signal.aborted ? 'was interrupted' : 'failed'}; removing everything it made.`);
      await teardown(record, () => undefined).catch((undoErr: unknown) => log((undoErr as Error).message));
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }

  private async start(record: ClusterRecord, names: ReturnType<typeof labNames>, nodeIps: string[], log: (line: string) => void, signal: AbortSignal): Promise<void> {
    const checkpoint = (): void => {
      if (signal.aborted) throw new CliError('berth up was interrupted; everything it made has been removed');
    };
    await ensureBridgeAbsent(names.bridge);
    record.bridge = names.bridge;
    writeRecord(record);
    checkpoint();
    await createBridge(names.bridge, parseLabCidr(record.labCidr));
    log(`Lab network ${record.labCidr} on bridge ${names.bridge} (${record.bridgeIp}).`);

    const registryDir = join(this.stateDir, 'registry');
    const address = `${record.bridgeIp}:${REGISTRY_PORT}`;
    const config = writeRegistryConfig(registryDir, address);
    record.registry = { address, dir: registryDir, config };
    record.dirs.push(registryDir);
    record.registry.pid = startRegistry(registryDir, config);
    writeRecord(record);
    checkpoint();
    await waitRegistryReady(address, record.registry.pid, config, registryDir);

    // The cluster CA and every certificate live under the state dir, which down removes.
    await createClusterPki(this.stateDir, record.name, record.bridgeIp);
    const admin = await issueAdminCredentials(this.stateDir);
    record.controlPlanePid = startControlPlane(this.stateDir, record.server, record.controlPlaneDataDir, record.etcdPort, controlPlanePkiDir(this.stateDir));
    writeRecord(record);
    checkpoint();
    await Promise.all([
      waitControlPlaneReady(record.server, admin, record.controlPlanePid, record.controlPlaneDataDir, this.stateDir),
      buildBusyboxImage(address, LOCAL_BUSYBOX.name, LOCAL_BUSYBOX.tag, undefined, { extraTags: [...LOCAL_BUSYBOX.extraTags] }),
    ]);
    log(`Control plane ready at ${record.server} (pid ${record.controlPlanePid}; TLS, client certificates of the cluster CA in ${controlPlanePkiDir(this.stateDir)}), embedded etcd on 127.0.0.1:${record.etcdPort}.`);

    const subnet = parseLabCidr(record.labCidr);
    for (const [k, ip] of nodeIps.entries()) {
      const i = k + 1;
      const node: NodeRecord = {
        name: `node-${i}`,
        netns: names.netns(i),
        hostVeth: names.hostVeth(i),
        ip,
        root: join(this.stateDir, 'nodes', `node-${i}`),
        cgroupParent: `${record.cgroupRoot}/node-${i}`,
      };
      ensureNetnsAbsent(node.netns);
      record.nodes.push(node);
      writeRecord(record);
      checkpoint();
      await createNodeNamespace(node, names.bridge, subnet);
      record.dirs.push(node.root);
      mkdirSync(node.root, { recursive: true, mode: 0o700 });
      node.agentPid = this.startAgent(record, node, await issueNodeTls(this.stateDir, node.name, node.ip));
      writeRecord(record);
      checkpoint();
    }
    await waitNodesReady(record.server, admin, record.nodes, (n) => join(n.root, 'agent.log'), (n) => n.root, this.options.readyTimeoutMs, signal);
    checkpoint();
    this.writeConfig(record.server, admin);
    log(`${record.nodes.length} node(s) Ready: ${record.nodes.map((n) => `${n.name} (${n.ip})`).join(', ')}.`);
    log(`Image registry at ${address} (plain HTTP), the nodes' mirror for ${LOCAL_MIRRORED_REGISTRIES.join(', ')}; busybox:1.35 and busybox:latest are in it.`);
    log(`  Push another image:  skopeo copy --dest-tls-verify=false docker-archive:app.tar docker://${address}/library/app:1.0`);
    log(`  and use it in a manifest as  image: app:1.0  (or ${address}/library/app:1.0).`);
    log(`State and logs in ${this.stateDir}. The berth CLI now talks to this cluster (${configPath()}); berth down removes it.`);
  }

  /**
   * startAgent runs berth-agent in the node's network namespace only. Not `ip netns exec`: that
   * also gives the process a private mount namespace with a fresh /sys, which hides the cgroup
   * hierarchies the runtime needs and the agent's overlay and netns mounts from the host (and
   * from `berth down`). nsenter --net execs in place, so the recorded pid is the agent's.
   */
  private startAgent(record: ClusterRecord, node: NodeRecord, tlsDir: string): number {
    const registry = record.registry?.address ?? '';
    const launch = agentLaunch();
    // env(1) sets the agent's own environment and execs node in place, so the pid stays the agent's.
    const env = Object.entries(launch.env).map(([name, value]) => `${name}=${value}`);
    const args = [
      `--net=/run/netns/${node.netns}`, '--', ...(env.length > 0 ? ['env', ...env] : []), process.execPath, ...launch.nodeOptions, agentEntry(),
      '--server', record.server,
      '--name', node.name,
      '--root', node.root,
      '--tls-dir', tlsDir,
      '--node-ip', node.ip,
      '--cgroup-parent', node.cgroupParent,
      '--userns-ids', userNamespacePool(record.nodes.indexOf(node), record.nodes.length),
      // The local registry mirrors the public registries Kubernetes examples use; an image it lacks comes from the origin.
      ...LOCAL_MIRRORED_REGISTRIES.flatMap((host) => ['--registry-mirror', `${host}=http://${registry}`]),
      '--insecure-registry', registry,
      ...(this.options.mirrorOnly ? ['--registry-mirror-only'] : []),
    ];
    return spawnDetached('nsenter', args, join(node.root, 'agent.log'));
  }

  async down(log: (line: string) => void): Promise<void> {
    const record = readRecord(this.stateDir);
    if (!record) {
      log(`No local cluster recorded in ${this.stateDir}.`);
      // Never recurse into a mounted filesystem, whatever --state-dir says.
      if (mountsUnder(this.stateDir).length === 0) rmSync(this.stateDir, { recursive: true, force: true });
      return;
    }
    await teardown(record, log);
    if (readConfig().server === record.server) rmSync(configPath(), { force: true });
    log(`Local cluster ${record.name} removed.`);
  }

  /** Points the CLI config at the cluster, with an admin certificate of its CA. */
  private writeConfig(server: string, admin: TlsMaterial): void {
    writeConfig({ server, ...credentialFields(admin) });
  }
}

/** The id blocks of 65536 the agents' default --userns-ids pool holds (65536-67174399). */
const USERNS_BLOCKS = 1024;

/**
 * userNamespacePool is node `index`'s share of the default pool. The local nodes share one
 * machine, so each gets its own blocks: pods of different nodes never share host ids.
 */
export function userNamespacePool(index: number, nodes: number): string {
  const perNode = Math.max(1, Math.floor(USERNS_BLOCKS / Math.max(1, nodes)));
  const first = (1 + index * perNode) * 65536;
  return `${first}-${first + perNode * 65536 - 1}`;
}
