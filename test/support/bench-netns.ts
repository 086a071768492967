/**
 * Running load generators and servers inside the lab's network namespaces for the network
 * benchmark: a node's namespace, or a pod's (entered through its container's process, with the
 * host's binaries). Every process started here is tracked by pid and SIGKILLed when the bench
 * exits, however it exits; each is also bounded in time by its own arguments.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Pod } from '../../proto/objects/pod.js';
import { runtimeState } from './bench-cluster.js';
import type { LocalClusterNode } from './local-cluster.js';

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** nodeNetns is the path of a node's network namespace. */
export function nodeNetns(node: LocalClusterNode): string {
  return `/run/netns/${node.netns}`;
}

/** podNetns is the path of a running pod's network namespace, through its first container's process on its node. */
export function podNetns(node: LocalClusterNode, pod: Pod): string {
  const name = pod.spec.containers[0]?.name ?? '';
  const restarts = pod.status?.containerStatuses?.find((c) => c.name === name)?.restartCount ?? 0;
  const id = `${pod.metadata.uid}_${name}_${restarts}`;
  const pid = runtimeState(node, id)?.pid;
  if (!pid) throw new Error(`pod ${pod.metadata.name}: container ${id} has no process on ${node.name}`);
  return `/proc/${pid}/ns/net`;
}

/** spawnIn starts `argv` inside the network namespace at `netns` (its stdout and stderr piped), tracked until it exits. */
export function spawnIn(netns: string, argv: string[], stdin: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  const child = spawn('nsenter', [`--net=${netns}`, '--', ...argv], { stdio: [stdin, 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** RunResult is a finished process's output. */
export interface NetnsRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** runIn runs `argv` inside `netns` to the end; it is SIGKILLed after `timeoutMs`. */
export function runIn(netns: string, argv: string[], timeoutMs: number): Promise<NetnsRun> {
  const child = spawnIn(netns, argv);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** setPortRange sets the source ports connections from `netns` take (net.ipv4.ip_local_port_range, a per-namespace setting). */
export async function setPortRange(netns: string, low: number, high: number): Promise<void> {
  const r = await runIn(netns, ['sysctl', '-qw', `net.ipv4.ip_local_port_range=${low} ${high}`], 5_000);
  if (r.code !== 0) throw new Error(`setting the port range in ${netns} failed: ${r.stderr}`);
}

/** stopChild ends a tracked process (SIGTERM, SIGKILL after 2 s) and resolves once it has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
  await exited;
  clearTimeout(timer);
}

/** waitForLine resolves with the first stdout line of `child` matching `pattern`; rejects if it exits first or after `timeoutMs`. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const done = (err?: Error, line?: string): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(line ?? '');
    };
    const onData = (d: Buffer): void => {
      buffered += d.toString();
      const line = buffered.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) done(undefined, line);
    };
    const onExit = (code: number | null): void => done(new Error(`${child.spawnargs.join(' ')} exited (${code}) before printing ${pattern}`));
    const timer = setTimeout(() => done(new Error(`${child.spawnargs.join(' ')} printed no ${pattern} in ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}
