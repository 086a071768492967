/**
 * What the cluster benchmarks observe through ClusterAPI: a watch on pods (or nodes) that
 * stamps each change with the bench process's clock as it arrives, manifests, and statistics.
 */
import * as grpc from '@grpc/grpc-js';
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { WatchEvent__Output } from '../../proto/generated/berth/v1/WatchEvent.js';
import { GRPC_MAX_MESSAGE_BYTES, loadBerthProto } from '../../proto/grpc.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { Pod } from '../../proto/objects/pod.js';
import type { Deployment } from '../../proto/objects/apps.js';
import { CONTROL_PLANE_SERVER_NAME, channelCredentials, channelOptionsFor, type TlsMaterial } from '../../proto/security/tls-credentials.js';
import { nowMs, parseTimeMs } from './bench-cluster.js';

/** PodTrace is used for what one pod went through, each time as it arrived at the bench (epoch ms). */
export interface PodTrace {
  uid: string;
  name: string;
  app: string;
  /** The ADDED event. */
  addedMs: number;
  /** The first event that showed spec.nodeName. */
  boundMs?: number;
  /** The binding's own time: PodScheduled's lastTransitionTime as the scheduler wrote it (ms precision). */
  scheduledMs?: number;
  node?: string;
  /** The first container's first running.startedAt as the agent reported it (agent clock, ns precision). */
  startedAtMs?: number;
  /** The first event that showed phase Running with Ready True. */
  runningSeenMs?: number;
  /** The first event that showed phase Failed. */
  failedSeenMs?: number;
  /** The first event that showed a deletionTimestamp. */
  terminatingSeenMs?: number;
  deletedMs?: number;
  latest: Pod;
}

/** isRunningReady: phase Running and the Ready condition True. */
export function isRunningReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** ClusterAccess is used to reach a cluster's ClusterAPI: its address and an admin's credentials (a LocalClusterHandle is one). */
export interface ClusterAccess {
  server: string;
  tls: TlsMaterial;
}

/** watchObjects streams ClusterAPI.Watch events of a resource in a namespace; returns the cancel. */
export function watchObjects(cluster: ClusterAccess, resource: string, namespace: string, onEvent: (type: string, object: BerthObject) => void): () => void {
  const proto = loadBerthProto();
  const client = new proto.berth.v1.ClusterAPI(cluster.server, channelCredentials(cluster.tls), {
    ...channelOptionsFor(CONTROL_PLANE_SERVER_NAME),
    'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_BYTES,
  });
  const call: ClientReadableStream<WatchEvent__Output> = client.Watch({ resource, namespace, all_namespaces: namespace === '' });
  let cancelled = false;
  call.on('data', (e: WatchEvent__Output) => onEvent(e.type, JSON.parse(e.object_json) as BerthObject));
  call.on('error', (err: grpc.ServiceError) => {
    if (!cancelled) console.error(`watch ${resource} failed: ${err.message}`);
  });
  return () => {
    cancelled = true;
    call.cancel();
    client.close();
  };
}

/**
 * PodWatch keeps a PodTrace per pod of a namespace from one ClusterAPI watch and lets a
 * benchmark wait for a condition over them; the time a wait resolves is the arrival time of
 * the event that made it true.
 */
export class PodWatch {
  readonly traces = new Map<string, PodTrace>();
  private readonly waiters = new Set<() => void>();
  private readonly cancel: () => void;

  constructor(cluster: ClusterAccess, namespace: string) {
    this.cancel = watchObjects(cluster, 'pods', namespace, (type, object) => this.onEvent(type, object as Pod));
  }

  close(): void {
    this.cancel();
  }

  /** The traces of pods labelled app=<app> (deleted ones too, unless `live`). */
  of(app: string, live = false): PodTrace[] {
    return [...this.traces.values()].filter((t) => t.app === app && !(live && t.deletedMs !== undefined));
  }

  /** until resolves with the arrival time of the event after which `check` holds (checked at once too). */
  until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
    if (check()) return Promise.resolve(nowMs());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(nowMs());
      };
      this.waiters.add(waiter);
    });
  }

  private onEvent(type: string, pod: Pod): void {
    const at = nowMs();
    const uid = pod.metadata.uid ?? '';
    let trace = this.traces.get(uid);
    if (!trace) {
      trace = { uid, name: pod.metadata.name, app: pod.metadata.labels?.app ?? '', addedMs: at, latest: pod };
      this.traces.set(uid, trace);
    }
    trace.latest = pod;
    if (type === 'DELETED') trace.deletedMs ??= at;
    if (pod.spec.nodeName && trace.boundMs === undefined) {
      trace.boundMs = at;
      trace.node = pod.spec.nodeName;
      trace.scheduledMs = parseTimeMs(pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True')?.lastTransitionTime);
    }
    const running = pod.status?.containerStatuses?.[0]?.state?.running?.startedAt;
    if (running && trace.startedAtMs === undefined) trace.startedAtMs = parseTimeMs(running);
    if (type !== 'DELETED' && isRunningReady(pod)) trace.runningSeenMs ??= at;
    if (pod.status?.phase === 'Failed') trace.failedSeenMs ??= at;
    if (pod.metadata.deletionTimestamp) trace.terminatingSeenMs ??= at;
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** sleepDeployment is a Deployment of `replicas` busybox:1.35 pods running `sleep 3600`, labelled app=<name>. */
export function sleepDeployment(name: string, namespace: string, replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          // sleep as pid 1 ignores SIGTERM: no grace period, so deletions do not wait 30 s.
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'main', image: 'busybox:1.35', command: ['sleep', '3600'] }],
        },
      },
    },
  } as Deployment;
}

/**
 * The command of the pods whose start is measured: it proves it ran by printing this machine's
 * clock with microseconds (busybox's date has no %N; adjtimex reads the clock without changing
 * it and prints time.tv_sec and time.tv_usec), then waits, and exits at once on SIGTERM (as pid
 * 1, sh would otherwise ignore it), so deletions take no grace period.
 */
export const PROOF_COMMAND = ['sh', '-c', 'adjtimex; trap "exit 0" TERM; sleep 3600 & wait'];

/**
 * proofDeployment is a Deployment of `replicas` pods of `image` running PROOF_COMMAND, labelled
 * app=<name>, with the default termination grace period (30 s).
 */
export function proofDeployment(name: string, namespace: string, replicas: number, image: string): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image, command: PROOF_COMMAND }] },
      },
    },
  } as Deployment;
}

/** pinnedPod is a bare busybox pod for one node (nodeSelector on its hostname label). */
export function pinnedPod(name: string, namespace: string, node: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'prepull' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      nodeSelector: { 'kubernetes.io/hostname': node },
      containers: [{ name: 'main', image: 'busybox:1.35', command: ['sleep', '3600'] }],
    },
  } as Pod;
}

/** quantile by nearest rank (p99 of 100 samples is the 99th smallest). */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** ms formats milliseconds for the tables. */
export function ms(x: number): string {
  if (Number.isNaN(x)) return '     n/a';
  return `${x >= 100 ? x.toFixed(0) : x.toFixed(1)} ms`.padStart(9);
}

/** row prints one figure line: label, min, p50, p99, max (and a note such as the target). */
export function row(label: string, xs: number[], note = ''): string {
  if (xs.length === 0) return `  ${label.padEnd(50)} no samples${note ? `   ${note}` : ''}`;
  return `  ${label.padEnd(50)} min ${ms(Math.min(...xs))}  p50 ${ms(quantile(xs, 0.5))}  p99 ${ms(quantile(xs, 0.99))}  max ${ms(Math.max(...xs))}${note ? `   ${note}` : ''}`;
}

/** defined filters out undefined values. */
export function defined(xs: Array<number | undefined>): number[] {
  return xs.filter((x): x is number => x !== undefined && !Number.isNaN(x));
}
