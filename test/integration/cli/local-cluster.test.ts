import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { labNames } from '../../../cli/local-cluster/lab-network.js';
import { agentLaunch } from '../../../cli/local-cluster/paths.js';
import type { ClusterRecord } from '../../../cli/local-cluster/record.js';
import type { CliConfig } from '../../../cli/config.js';
import { REPO_ROOT, berth } from '../../support/cli.js';
import { leftovers, nodeContainers, sandboxNetns, uniqueClusterFlags } from '../../support/local-cluster.js';
import { eventually } from '../../support/wait.js';

/** Pids of processes whose command line mentions `text` (the state dir: agents, control plane, etcd, registry config). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const flagValue = (flags: string[], name: string): string => flags[flags.indexOf(name) + 1] ?? '';

describe('berth up / berth down: a real 2-node local cluster', function () {
  this.timeout(240_000);
  let dir: string;
  let stateDir: string;
  let env: NodeJS.ProcessEnv;
  let flags: string[];
  let record: ClusterRecord | undefined;
  const pids: number[] = [];
  const podNetns: string[] = [];

  // The containers' host pids and the pod namespaces the agents recorded, for the leftovers check.
  function collectNodeState(): void {
    for (const n of record?.nodes ?? []) {
      pids.push(...nodeContainers(n.root).map((c) => c.pid ?? 0).filter((p) => p > 0 && !pids.includes(p)));
      if (!existsSync(join(n.root, 'pods'))) continue;
      for (const f of readdirSync(join(n.root, 'pods')).filter((f) => f.endsWith('.json') && !f.startsWith('.'))) {
        const name = `berth-${f.replace(/-/g, '').slice(0, 12)}`;
        if (!podNetns.includes(name)) podNetns.push(name);
      }
      for (const name of sandboxNetns(n.root)) if (!podNetns.includes(name)) podNetns.push(name);
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-up-test-'));
    env = { BERTH_CONFIG: join(dir, 'config') };
    flags = await uniqueClusterFlags(dir, 2);
    stateDir = flagValue(flags, '--state-dir');
  });

  after(async () => {
    // Whatever happened above, leave no cluster behind: the same teardown as the last test.
    await berth(undefined, ['down', ...flags], undefined, env);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a lab subnet that collides with a route of this machine, and makes nothing', async () => {
    const routes = JSON.parse(execFileSync('ip', ['-j', '-4', 'route', 'show'], { encoding: 'utf8' })) as Array<{ dst: string }>;
    const taken = routes.find((r) => r.dst !== 'default' && /\/(1[6-9]|2[0-8])$/.test(r.dst));
    expect(taken, 'this machine has a route to collide with').to.not.equal(undefined);
    const cidr = taken?.dst ?? '';
    const up = await berth(undefined, ['up', ...flags, '--lab-cidr', cidr], undefined, env);
    expect(up.code).to.equal(1);
    expect(up.stderr).to.contain(`--lab-cidr ${cidr} collides with the route`);
    expect(existsSync(stateDir)).to.equal(false);
  });

  it('undoes every step it took when a later one fails, and leaves alone what it did not make', async () => {
    // node-2's namespace name is taken, so up fails after the bridge, registry, control plane and node-1 (with its agent) exist.
    const names = labNames(flagValue(flags, '--name'));
    execFileSync('ip', ['netns', 'add', names.netns(2)]);
    try {
      const up = await berth(undefined, ['up', ...flags], undefined, env);
      expect(up.code, up.stdout).to.equal(1);
      expect(up.stderr).to.contain(`the network namespace ${names.netns(2)} already exists`);
      expect(up.stdout).to.contain('Control plane ready');
      const links = (JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string }>).map((l) => l.ifname);
      expect(links).to.not.include(names.bridge).and.to.not.include(names.hostVeth(1));
      const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]);
      expect(netns).to.not.include(names.netns(1));
      expect(netns, 'the namespace it did not make is still there').to.include(names.netns(2));
      expect(processesMentioning(stateDir)).to.deep.equal([]);
      expect(existsSync(stateDir)).to.equal(false);
      expect(existsSync(env.BERTH_CONFIG ?? '')).to.equal(false);
    } finally {
      execFileSync('ip', ['netns', 'del', names.netns(2)]);
    }
  });

  it('starts a cluster whose nodes are Ready, with a registry serving busybox, and points the CLI at it', async () => {
    const up = await berth(undefined, ['up', ...flags], undefined, env);
    expect(up.code, `${up.stdout}\n${up.stderr}`).to.equal(0);
    record = JSON.parse(readFileSync(join(stateDir, 'cluster.json'), 'utf8')) as ClusterRecord;
    expect(record.nodes.map((n) => n.name)).to.deep.equal(['node-1', 'node-2']);
    const registry = record.registry?.address ?? '';
    expect(up.stdout).to.contain(`Image registry at ${registry}`).and.to.contain('skopeo copy');
    pids.push(record.controlPlanePid ?? 0, record.registry?.pid ?? 0, ...record.nodes.map((n) => n.agentPid ?? 0));
    pids.push(Number(readFileSync(join(record.controlPlaneDataDir, 'etcd', 'etcd.pid'), 'utf8')));
    expect((parse(readFileSync(env.BERTH_CONFIG ?? '', 'utf8')) as { server: string }).server).to.equal(record.server);

    const nodes = await berth(undefined, ['get', 'nodes'], undefined, env);
    expect(nodes.stdout).to.match(/^node-1\s+Ready/m).and.to.match(/^node-2\s+Ready/m);

    const tags = (await (await fetch(`http://${registry}/v2/library/busybox/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).to.have.members(['1.35', 'latest']);
    const manifest = await fetch(`http://${registry}/v2/library/busybox/manifests/1.35`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(manifest.status).to.equal(200);
    await manifest.body?.cancel();
  });

  it('makes a CA for the cluster, a certificate for the control plane and each node, and an admin certificate in the CLI config', () => {
    const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);
    const pki = join(stateDir, 'pki');
    const ca = new X509Certificate(readFileSync(join(pki, 'ca.crt')));
    expect(mode(join(pki, 'ca.key'))).to.equal('600');
    expect(mode(join(pki, 'tls.key'))).to.equal('600');
    const controlPlane = new X509Certificate(readFileSync(join(pki, 'tls.crt')));
    expect(controlPlane.verify(ca.publicKey)).to.equal(true);
    expect(controlPlane.subject).to.equal('CN=berth-control-plane\nO=berth:control-planes');
    expect(controlPlane.subjectAltName).to.include('DNS:berth-control-plane').and.to.include(`IP Address:${record?.bridgeIp}`);
    for (const node of record?.nodes ?? []) {
      const cert = new X509Certificate(readFileSync(join(pki, 'nodes', node.name, 'tls.crt')));
      expect(cert.verify(ca.publicKey), node.name).to.equal(true);
      expect(cert.subject).to.equal(`CN=system:node:${node.name}\nO=system:nodes`);
      expect(cert.subjectAltName).to.include(`DNS:${node.name}`);
      expect(mode(join(pki, 'nodes', node.name, 'tls.key'))).to.equal('600');
    }
    const config = parse(readFileSync(env.BERTH_CONFIG ?? '', 'utf8')) as CliConfig;
    expect(mode(env.BERTH_CONFIG ?? '')).to.equal('600');
    expect(Buffer.from(config.certificateAuthorityData ?? '', 'base64').toString()).to.equal(ca.toString());
    const admin = new X509Certificate(Buffer.from(config.clientCertificateData ?? '', 'base64'));
    expect(admin.verify(ca.publicKey)).to.equal(true);
    expect(admin.subject).to.equal('CN=berth-admin\nO=system:masters');
    expect(Buffer.from(config.clientKeyData ?? '', 'base64').toString()).to.contain('-----BEGIN PRIVATE KEY-----');
  });

  it('starts each agent with the Node options and environment its #! line names', () => {
    const launch = agentLaunch();
    for (const node of record?.nodes ?? []) {
      const argv = readFileSync(`/proc/${node.agentPid}/cmdline`, 'utf8').split('\0');
      expect(argv.slice(1, 1 + launch.nodeOptions.length), node.name).to.deep.equal(launch.nodeOptions);
      const environ = readFileSync(`/proc/${node.agentPid}/environ`, 'utf8').split('\0');
      for (const [name, value] of Object.entries(launch.env)) expect(environ, node.name).to.include(`${name}=${value}`);
    }
    expect(record?.nodes).to.have.length(2);
  });

  it('runs a pod with `image: busybox` on a node, pulled through the local registry mirror', async () => {
    const pod = ['apiVersion: v1', 'kind: Pod', 'metadata:', '  name: sleeper', 'spec:', '  nodeName: node-2', '  containers:', '    - name: main', '      image: busybox', '      command: ["sh", "-c", "sleep 100000"]', ''].join('\n');
    const applied = await berth(undefined, ['apply', '-f', '-'], pod, env);
    expect(applied.stdout, applied.stderr).to.equal('pod/sleeper created\n');
    await eventually(async () => expect((await berth(undefined, ['get', 'pods'], undefined, env)).stdout).to.match(/^sleeper\s+1\/1\s+Running/m), 60_000, 250);
    collectNodeState();
    expect(pids.length, 'the container has a host pid').to.be.greaterThan(5);
    expect(podNetns.length).to.be.greaterThan(0);
  });

  it('runs the quick start: manifests/web.yaml runs on the nodes from the local registry', async () => {
    const applied = await berth(undefined, ['apply', '-f', join(REPO_ROOT, 'manifests', 'web.yaml')], undefined, env);
    expect(applied.stdout, applied.stderr).to.equal('deployment.apps/web created\nservice/web created\n');
    await eventually(async () => expect((await berth(undefined, ['get', 'deployments'], undefined, env)).stdout).to.match(/^web\s+3\/3/m), 120_000, 500);
    collectNodeState();
  });

  it('says so when the cluster is already up', async () => {
    const again = await berth(undefined, ['up', ...flags], undefined, env);
    expect(again.code).to.equal(0);
    expect(again.stdout).to.contain('already running');
    // The config it wrote again holds a fresh admin certificate of the same CA.
    const nodes = await berth(undefined, ['get', 'nodes'], undefined, env);
    expect(nodes.stdout, nodes.stderr).to.match(/^node-1\s+Ready/m);
  });

  it('down removes every process, container, namespace, link, mount, cgroup and directory, and can run again', async () => {
    expect(record, 'the cluster came up').to.not.equal(undefined);
    if (!record) return;
    const down = await berth(undefined, ['down', ...flags], undefined, env);
    expect(down.code, down.stderr).to.equal(0);
    expect(leftovers(record, pids, podNetns)).to.deep.equal({ processes: [], netns: [], links: [], mounts: [], cgroups: [], dirs: [] });
    expect(existsSync(env.BERTH_CONFIG ?? '')).to.equal(false);
    const again = await berth(undefined, ['down', ...flags], undefined, env);
    expect(again.code, again.stderr).to.equal(0);
  });
});
