import { readFile } from 'node:fs/promises';
import { arch, availableParallelism, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Node } from '../../proto/objects/cluster.js';

/** NodeFacts is used for what the agent reports about its machine at registration. */
export interface NodeFacts {
  name: string;
  nodeIP: string;
  agentPort: number;
  maxPods: number;
  version: string;
  cgroupParent: string;
  /** The pod CIDR the node's pods have addresses from (kept across agent restarts): asked for again if the Node is new. */
  podCIDR?: string;
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

async function readText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').then(
    (t) => t.trim(),
    () => undefined,
  );
}

/** The cgroup mount points of a controller (v1) or of the unified hierarchy (v2). */
async function cgroupRoot(kind: 'memory' | 'cpu'): Promise<{ path: string; v2: boolean } | undefined> {
  const mountinfo = (await readText('/proc/self/mountinfo')) ?? '';
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    const fields = after?.split(' ') ?? [];
    const point = before?.split(' ')[4];
    if (!point) continue;
    if (fields[0] === 'cgroup2') return { path: point, v2: true };
    if (fields[0] === 'cgroup' && (fields[2] ?? '').split(',').includes(kind)) return { path: point, v2: false };
  }
  return undefined;
}

/**
 * capacity is what the node offers: the host's cores and memory, or less when the cgroup parent
 * the agent puts pods under is limited (a "node" that is a slice of a machine in `berth up`).
 */
export async function capacity(cgroupParent: string, maxPods: number): Promise<Record<string, string>> {
  let cpuMillis = availableParallelism() * 1000;
  let memory = totalmem();
  const mem = await cgroupRoot('memory');
  if (mem) {
    const file = mem.v2 ? 'memory.max' : 'memory.limit_in_bytes';
    const limit = Number(await readText(join(mem.path, cgroupParent, file)));
    if (Number.isFinite(limit) && limit > 0 && limit < memory) memory = limit;
  }
  const cpu = await cgroupRoot('cpu');
  if (cpu?.v2) {
    const [quota, period] = ((await readText(join(cpu.path, cgroupParent, 'cpu.max'))) ?? 'max').split(' ');
    if (quota !== 'max' && Number(period) > 0) cpuMillis = Math.min(cpuMillis, Math.floor((Number(quota) / Number(period)) * 1000));
  } else if (cpu) {
    const quota = Number(await readText(join(cpu.path, cgroupParent, 'cpu.cfs_quota_us')));
    const period = Number(await readText(join(cpu.path, cgroupParent, 'cpu.cfs_period_us')));
    if (quota > 0 && period > 0) cpuMillis = Math.min(cpuMillis, Math.floor((quota / period) * 1000));
  }
  return { cpu: cpuMillis % 1000 === 0 ? String(cpuMillis / 1000) : `${cpuMillis}m`, memory: String(memory), pods: String(maxPods) };
}

/** osImage is PRETTY_NAME from /etc/os-release. */
async function osImage(): Promise<string> {
  const text = (await readText('/etc/os-release')) ?? '';
  const line = text.split('\n').find((l) => l.startsWith('PRETTY_NAME='));
  return line ? line.slice('PRETTY_NAME='.length).replace(/^"|"$/g, '') : 'Linux';
}

/**
 * nodeObject builds the Node the agent registers (metadata, status; spec is the control plane's,
 * except the pod CIDR the agent already uses, which a Node registered anew gets back if free).
 */
export async function nodeObject(facts: NodeFacts): Promise<Node> {
  const cap = await capacity(facts.cgroupParent, facts.maxPods);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: facts.name, labels: { 'kubernetes.io/hostname': facts.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': GOARCH[arch()] ?? arch() } },
    spec: facts.podCIDR ? { podCIDR: facts.podCIDR } : {},
    status: {
      capacity: cap,
      allocatable: { ...cap },
      addresses: [
        { type: 'InternalIP', address: facts.nodeIP },
        { type: 'Hostname', address: facts.name },
      ],
      daemonEndpoints: { agentEndpoint: { Port: facts.agentPort } },
      nodeInfo: {
        kernelVersion: release(),
        osImage: await osImage(),
        operatingSystem: 'linux',
        architecture: GOARCH[arch()] ?? arch(),
        kubeletVersion: `berth-${facts.version}`,
        containerRuntimeVersion: 'berth-runtime',
      },
    },
  };
}
