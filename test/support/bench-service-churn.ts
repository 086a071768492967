/**
 * Endpoint churn as a client of a Service sees it. A prober (network-prober.js) in a client
 * pod's namespace opens a new connection to the Service's ClusterIP every few ms and notes
 * which pod answered. The Service always has one steady httpd pod; each run adds one more
 * (pinned to the nodes in turn) and then deletes it:
 *
 *   ready → first answer   from the bench's ClusterAPI watch showing the new pod Ready (the
 *                          Ready condition's own time has only second precision) to the end
 *                          of the first request the new pod answered through the ClusterIP;
 *   delete → last new conn from the launch of the delete call to the start of the last new
 *                          connection the deleted pod answered (0 when none started after).
 *                          The pod keeps serving for its grace period, so a connection routed
 *                          to it in that time is answered and seen; connections failing after
 *                          the delete are counted apart.
 *
 * With two endpoints about half the connections go to the new pod, so the first answer comes
 * one or two probe intervals (10 ms each) after its rules are in place.
 */
import type { ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { nowMs, sleep } from './bench-cluster.js';
import { NS, type BenchContext } from './bench-context.js';
import { spawnIn, stopChild } from './bench-netns.js';
import { httpdPod } from './bench-network-objects.js';
import { isRunningReady } from './bench-pods.js';

/** ProbeAnswer is one connection the prober made: when it started and ended (epoch ms), and who answered (or ERR:<code>). */
export interface ProbeAnswer {
  startMs: number;
  endMs: number;
  result: string;
}

/** Prober is a running network-prober.js and everything it printed so far. */
export class Prober {
  readonly answers: ProbeAnswer[] = [];
  private readonly child: ChildProcess;

  /** It stops by itself after `seconds` (and when stop() closes its stdin); a connection not answered within `timeoutMs` fails. */
  constructor(netns: string, target: string, everyMs: number, seconds: number, timeoutMs = 1000) {
    const script = fileURLToPath(new URL('../bench/network-prober.js', import.meta.url));
    this.child = spawnIn(netns, [process.execPath, script, '--target', target, '--every-ms', String(everyMs), '--seconds', String(seconds), '--timeout-ms', String(timeoutMs)], 'pipe');
    let partial = '';
    this.child.stdout?.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const [start, end, result] = line.split(' ');
        this.answers.push({ startMs: Number(start), endMs: Number(end), result: result ?? '' });
      }
    });
  }

  /** until waits for the first answer (from index `from` on) that `check` accepts. */
  async until(what: string, from: number, check: (a: ProbeAnswer) => boolean, timeoutMs: number): Promise<ProbeAnswer> {
    const deadline = Date.now() + timeoutMs;
    for (let i = from; ; ) {
      for (; i < this.answers.length; i++) if (check(this.answers[i]!)) return this.answers[i]!;
      if (this.child.exitCode !== null) throw new Error(`the prober exited (${this.child.exitCode}) while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await sleep(5);
    }
  }

  stop(): Promise<void> {
    this.child.stdin?.end();
    return stopChild(this.child);
  }
}

/** ChurnRun is one added-then-deleted pod. */
export interface ChurnRun {
  node: string;
  readyToFirstAnswerMs: number;
  deleteToLastConnectionMs: number;
  /** Connections started after the delete call that failed (refused, reset, timed out). */
  failedAfterDelete: number;
  load1: number;
}

/** The label the churn Service selects on. */
export const CHURN_LABEL = { bench: 'churn' };
const GRACE_SECONDS = 3;

/** churnRun adds pod `name` on `node` behind the Service the prober is probing, waits for its answers, deletes it and waits for its last one. */
export async function churnRun(b: BenchContext, prober: Prober, name: string, node: string): Promise<ChurnRun> {
  const from = prober.answers.length;
  const reply = await b.client.apply({ documents: [{ source: 'bench', index: 1, json: JSON.stringify(httpdPod(name, NS, node, { labels: CHURN_LABEL, graceSeconds: GRACE_SECONDS })) }] });
  if (reply.errors.length > 0) throw new Error(`apply ${name} failed: ${reply.errors.map((e) => e.message).join('; ')}`);
  const readyMs = await b.pods.until(`${name} Ready`, () => [...b.pods.traces.values()].some((t) => t.name === name && t.deletedMs === undefined && isRunningReady(t.latest)), 120_000);
  const first = await prober.until(`answer from ${name}`, from, (a) => a.result === name, 30_000);
  await sleep(1_000);
  const deleteMs = nowMs();
  await b.client.delete('pods', NS, name);
  await b.pods.until(`${name} deleted`, () => [...b.pods.traces.values()].some((t) => t.name === name && t.deletedMs !== undefined), 60_000);
  // Connections begun just before the pod went may still be finishing.
  await sleep(1_500);
  const after = prober.answers.slice(from).filter((a) => a.startMs >= deleteMs);
  const lastStart = Math.max(deleteMs, ...after.filter((a) => a.result === name).map((a) => a.startMs));
  return {
    node,
    readyToFirstAnswerMs: first.endMs - readyMs,
    deleteToLastConnectionMs: lastStart - deleteMs,
    failedAfterDelete: after.filter((a) => a.result.startsWith('ERR:')).length,
    load1: loadavg()[0] ?? NaN,
  };
}
