import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterClient } from '../../cli/client.js';
import { ControlPlane } from '../../control-plane/control-plane.js';
import { connectEtcd } from '../../control-plane/store/etcd-client.js';
import type { EtcdClient } from '../../control-plane/store/etcd-client.js';
import type { Ipv4Range } from '../../proto/ipv4.js';
import { silentLogger } from './logger.js';
import { startTestEtcd } from './etcd.js';
import { testClusterClient, testControlPlanePki } from './test-pki.js';
import type { TestEtcd } from './etcd.js';

/** TestControlPlane is a real control plane (in this process) on a real etcd of its own. */
export interface TestControlPlane {
  server: string;
  etcd: TestEtcd;
  controlPlane: ControlPlane;
  stop(): Promise<void>;
}

export async function startTestControlPlane(options: { runControllers?: boolean; serviceClusterIpRange?: Ipv4Range } = {}): Promise<TestControlPlane> {
  const etcd = await startTestEtcd();
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-test-cp-'));
  const controlPlane = new ControlPlane({
    listen: '127.0.0.1:0',
    etcdEndpoints: [etcd.endpoint],
    dataDir,
    embeddedEtcdClientPort: 0,
    embeddedEtcdPeerPort: 0,
    pki: await testControlPlanePki(),
    logger: silentLogger(),
    ...(options.runControllers === undefined ? {} : { runControllers: options.runControllers }),
    ...(options.serviceClusterIpRange ? { serviceClusterIpRange: options.serviceClusterIpRange } : {}),
  });
  try {
    await controlPlane.start();
  } catch (err) {
    await etcd.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    server: `127.0.0.1:${controlPlane.port}`,
    etcd,
    controlPlane,
    async stop() {
      await controlPlane.stop();
      await etcd.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** ControlPlaneWithClients is a test control plane with a ClusterAPI client and an etcd client on its store. */
export interface ControlPlaneWithClients {
  cp: TestControlPlane;
  client: ClusterClient;
  etcd: EtcdClient;
}

/**
 * useControlPlaneWithClients starts, for the enclosing describe, a control plane without
 * controllers plus its two clients, hands them to `use` once started, and closes and stops them
 * all after the suite (also when it fails).
 */
export function useControlPlaneWithClients(use: (started: ControlPlaneWithClients) => void): void {
  let started: Partial<ControlPlaneWithClients> = {};
  before(async () => {
    const cp = await startTestControlPlane({ runControllers: false });
    started = { cp, client: await testClusterClient(cp.server), etcd: connectEtcd([cp.etcd.endpoint]) };
    use(started as ControlPlaneWithClients);
  });
  after(async () => {
    started.client?.close();
    started.etcd?.close();
    await started.cp?.stop();
  });
}
