/**
 * Hollow nodes for the scheduler benchmark: Node objects (and their Leases) that exist only
 * inside benchmarks, named hollow-node-N and labelled berth.dev/hollow=true, with no agent
 * behind them. Optionally they renew their leases every second as agents do, through the same
 * NodeAPI.Heartbeat path (a fleet process of NodeClients calling a NodeAPI served by this
 * process with the control plane's own startGrpcServer and NodeService).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'winston';
import { NodeOperations } from '../../control-plane/api/node-operations.js';
import { ObjectService } from '../../control-plane/api/object-service.js';
import { startGrpcServer } from '../../control-plane/grpc/server.js';
import type { EventWriter } from '../../control-plane/events/event-writer.js';
import { NodeService } from '../../control-plane/nodes/node-service.js';
import type { ObjectStore } from '../../control-plane/store/object-store.js';
import type { Lease, Node } from '../../proto/objects/cluster.js';
import type { Pod } from '../../proto/objects/pod.js';
import type { TlsMaterial } from '../../proto/security/tls-credentials.js';
import { testControlPlanePki, testCredentials } from './test-pki.js';

/** Pods per hollow node (its allocatable pods). */
export const PODS_PER_HOLLOW_NODE = 110;

/** hollowNodeName is the name of hollow node i. */
export function hollowNodeName(i: number): string {
  return `hollow-node-${i}`;
}

/** hollowNode is hollow node i, Ready, 16 CPUs, 64 GiB. */
export function hollowNode(i: number): Node {
  const name = hollowNodeName(i);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `hollow-node-uid-${i}`, labels: { 'kubernetes.io/hostname': name, 'berth.dev/hollow': 'true' } },
    spec: {},
    status: {
      capacity: { cpu: '16', memory: '64Gi', pods: String(PODS_PER_HOLLOW_NODE) },
      allocatable: { cpu: '16', memory: '64Gi', pods: String(PODS_PER_HOLLOW_NODE) },
      conditions: [{ type: 'Ready', status: 'True', reason: 'HollowNodeReady', message: 'benchmark-only hollow node', lastHeartbeatTime: new Date().toISOString() }],
    },
  };
}

/** hollowLease is hollow node i's Lease, as an agent's first heartbeat would leave it. */
export function hollowLease(i: number): Lease {
  const now = new Date().toISOString();
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: hollowNodeName(i), uid: `hollow-lease-uid-${i}` },
    spec: { holderIdentity: hollowNodeName(i), leaseDurationSeconds: 40, acquireTime: now, renewTime: now },
  };
}

/** benchPod is pending pod i of ReplicaSet bench-<i / perReplicaSet>: 100m CPU, 128 MiB. */
export function benchPod(i: number, perReplicaSet = 100): Pod {
  const rs = Math.floor(i / perReplicaSet);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `bench-${rs}-${i}`,
      namespace: 'default',
      uid: `bench-pod-uid-${i}`,
      creationTimestamp: new Date().toISOString(),
      labels: { app: `bench-${rs}` },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `bench-${rs}`, uid: `bench-rs-uid-${rs}`, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      schedulerName: 'default-scheduler',
      restartPolicy: 'Always',
      containers: [{ name: 'c', image: 'busybox:1.35', command: ['sleep', '3600'], resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
    },
    status: { phase: 'Pending' },
  };
}

/** HeartbeatStats is what the hollow-node fleet reports when it stops. */
export interface HeartbeatStats {
  nodes: number;
  seconds: number;
  beats: number;
  failures: number;
  firstError?: string;
  /** Heartbeat call latencies (ms), a sample of at most 20,000. */
  latencies: number[];
  /** The longest time any node went without a successful renewal (ms), after its first. */
  maxGapMs: number;
}

/** HeartbeatFleet is the running fleet: stop() ends every node's beats and returns the figures. */
export interface HeartbeatFleet {
  stop(): Promise<HeartbeatStats>;
  pid: number;
}

/**
 * serveNodeApi serves ClusterAPI and NodeAPI for `store` on a loopback port in this process,
 * exactly as the control plane builds them (startGrpcServer, NodeService sharing `events`).
 */
export async function serveNodeApi(store: ObjectStore, events: EventWriter, logger: Logger): Promise<{ address: string; stop(): void }> {
  const { tls } = await testControlPlanePki();
  const nodes = new NodeService(store, logger, events, tls);
  const { server, port } = await startGrpcServer('127.0.0.1:0', tls, new ObjectService(store, logger), new NodeOperations(store, logger), logger, nodes);
  return {
    address: `127.0.0.1:${port}`,
    stop() {
      server.forceShutdown();
      nodes.stop();
    },
  };
}

/** The file the fleet reads each hollow node's credentials from: a JSON array, index = node number. */
export type HollowNodeCredentials = TlsMaterial[];

/**
 * startHeartbeatFleet forks the fleet process (hollow-node-heartbeats.js): `nodes` NodeClients,
 * each calling Heartbeat for its hollow node one second after its previous beat ended, as the
 * agent's NodeLease does; their starts are spread over the first second. Each node presents its
 * own certificate of the test CA (issued here, handed over in a file removed once the fleet has
 * started), as every agent does. Resolves once every node's first heartbeat was answered; killed
 * by pid when this process exits, however it exits.
 */
export async function startHeartbeatFleet(server: string, nodes: number, timeoutMs = 120_000): Promise<HeartbeatFleet> {
  const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'hollow-node-heartbeats.js');
  const credentials: HollowNodeCredentials = await Promise.all(Array.from({ length: nodes }, (_, i) => testCredentials({ kind: 'node', nodeName: hollowNodeName(i) })));
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-fleet-'));
  const file = join(dir, 'credentials.json');
  writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
  const child = fork(script, ['--server', server, '--nodes', String(nodes), '--credentials', file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const removeCredentials = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeCredentials);
  // However the bench ends (an error, a signal), the fleet does not outlive it.
  const killFleet = () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  process.once('exit', killFleet);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => process.off('exit', killFleet));
  const message = <T>(type: string, ms: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the heartbeat fleet (pid ${child.pid}) sent no "${type}" within ${ms} ms`)), ms);
      const onMessage = (m: { type: string; data: T }) => {
        if (m.type !== type) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m.data);
      };
      child.on('message', onMessage);
      void exited.then(() => reject(new Error(`the heartbeat fleet (pid ${child.pid}) exited before sending "${type}"`)));
    });
  try {
    const first = await message<{ failures: number; firstError?: string }>('started', timeoutMs).finally(removeCredentials);
    if (first.failures > 0) console.error(`  [${first.failures} of ${nodes} hollow nodes' first heartbeats failed: ${first.firstError ?? ''}]`);
  } catch (err) {
    killFleet();
    throw err;
  }
  return {
    pid: child.pid ?? 0,
    async stop() {
      const stats = message<HeartbeatStats>('stats', timeoutMs);
      child.send({ type: 'stop' });
      const result = await stats;
      await exited;
      return result;
    },
  };
}
