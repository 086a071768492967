/**
 * What the rollout e2e tests work with: the real CLI in their namespace (also left running, as
 * `rollout status` or `logs -f` are), a Deployment's complete rollout as a user checks it, and a
 * pod watch that records, at every change, how many pods exist and how many are ready.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import type { Deployment } from '../../proto/objects/apps.js';
import type { Pod } from '../../proto/objects/pod.js';
import { watchObjects } from './bench-pods.js';
import { berth, BERTH_BIN, type RunResult } from './cli.js';
import { run, waitFor } from './e2e-cluster.js';
import type { LocalClusterHandle } from './local-cluster.js';
import { NS } from './rollout-objects.js';

/** rb runs the real CLI in the rollout namespace and throws with its output when it fails. */
export function rb(cluster: LocalClusterHandle, args: string[], input?: string): Promise<RunResult> {
  return run(cluster, ['-n', NS, ...args], input);
}

/** rbResult runs the real CLI in the rollout namespace and returns how it ended, whatever the exit code. */
export function rbResult(cluster: LocalClusterHandle, args: string[]): Promise<RunResult> {
  return berth(cluster.server, ['-n', NS, ...args], undefined, cluster.env);
}

/** applyObjects runs `berth apply -f -` with the objects as JSON documents. */
export async function applyObjects(cluster: LocalClusterHandle, ...objects: object[]): Promise<void> {
  await rb(cluster, ['apply', '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n---\n'));
}

/** getIn runs `berth get … -o json` in the rollout namespace and parses it. */
export async function getIn<T>(cluster: LocalClusterHandle, args: string[]): Promise<T> {
  return JSON.parse((await rb(cluster, ['get', ...args, '-o', 'json'])).stdout) as T;
}

/** podsIn lists the pods of the rollout namespace matching a label selector. */
export async function podsIn(cluster: LocalClusterHandle, selector: string): Promise<Pod[]> {
  return (await getIn<{ items: Pod[] }>(cluster, ['pods', '-l', selector])).items;
}

export const isReady = (p: Pod): boolean => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
export const imageOf = (p: Pod): string => p.spec.containers[0]?.image ?? '';

/**
 * fullyAvailable waits until Deployment `name` has rolled out `image` completely, as `rollout
 * status` judges it, and no pod of it is left, not even a terminating one; returns it.
 */
export async function fullyAvailable(cluster: LocalClusterHandle, name: string, wanted: string, timeoutMs = 90_000): Promise<Deployment> {
  return waitFor(async () => {
    const d = await getIn<Deployment>(cluster, ['deployment', name]);
    const replicas = d.spec.replicas ?? 1;
    const s = d.status;
    const where = `deployment ${name}: ${JSON.stringify(s)}`;
    expect(d.spec.template.spec.containers[0]?.image, where).to.equal(wanted);
    expect(s?.observedGeneration, where).to.be.at.least(d.metadata.generation ?? 0);
    expect([s?.replicas, s?.updatedReplicas, s?.readyReplicas, s?.availableReplicas], where).to.deep.equal([replicas, replicas, replicas, replicas]);
    const items = await podsIn(cluster, Object.entries(d.spec.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(','));
    expect(items.map((p) => [imageOf(p), p.metadata.deletionTimestamp !== undefined, isReady(p)]), `pods of ${name}`).to.deep.equal(items.map(() => [wanted, false, true]));
    expect(items).to.have.length(replicas);
    return d;
  }, timeoutMs);
}

/** One moment of a watched Deployment's pods: after each change the watch reported. */
export interface PodSample {
  /** Pods that exist and have not ended (terminating ones included). */
  pods: number;
  /** Pods Ready and not terminating. */
  ready: number;
  /** How many existing pods run each image. */
  images: Record<string, number>;
}

/** PodTimeline records a PodSample of the pods labelled app=<app> after each change a ClusterAPI watch of the namespace reports. */
export class PodTimeline {
  readonly samples: PodSample[] = [];
  private readonly live = new Map<string, Pod>();
  private readonly cancel: () => void;

  constructor(cluster: LocalClusterHandle, private readonly app: string) {
    this.cancel = watchObjects(cluster, 'pods', NS, (type, object) => this.onEvent(type, object as Pod));
  }

  /** The sample now (the latest state the watch delivered). */
  now(): PodSample {
    const alive = [...this.live.values()].filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    const images: Record<string, number> = {};
    for (const p of alive) images[imageOf(p)] = (images[imageOf(p)] ?? 0) + 1;
    return { pods: alive.length, ready: alive.filter((p) => isReady(p) && p.metadata.deletionTimestamp === undefined).length, images };
  }

  close(): void {
    this.cancel();
  }

  private onEvent(type: string, p: Pod): void {
    if (p.metadata.labels?.app !== this.app) return;
    if (type === 'DELETED') this.live.delete(p.metadata.uid ?? '');
    else this.live.set(p.metadata.uid ?? '', p);
    this.samples.push(this.now());
  }
}

/** A CLI command left running (`rollout status`, `logs -f`, a client loop in `exec`): its output so far and how it ended. */
export interface RunningCli {
  child: ChildProcess;
  output(): string;
  done: Promise<RunResult>;
}

const running = new Set<ChildProcess>();
// A test that fails leaves no CLI of its own running.
process.on('exit', () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** startCli starts the real CLI and returns at once. */
export function startCli(cluster: LocalClusterHandle, args: string[]): RunningCli {
  const child = spawn(process.execPath, [BERTH_BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: '/nonexistent', BERTH_SERVER: cluster.server, ...cluster.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // Never rejects: a CLI that could not start ends with no exit code and says why on stderr.
  const done = new Promise<RunResult>((resolve) => {
    child.once('error', (err) => resolve({ code: null, stdout, stderr: `${stderr}${err.message}` }));
    child.once('close', (code) => {
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, output: () => stdout + stderr, done };
}

/** finish waits for a running CLI to end by itself for up to `ms`, then ends it (SIGKILL, by its own pid) and returns how it ended. */
export async function finish(cli: RunningCli, ms: number): Promise<RunResult> {
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), ms);
  try {
    return await cli.done;
  } finally {
    clearTimeout(timer);
  }
}
