import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane } from '../../control-plane/control-plane.js';
import type { Ipv4Range } from '../../proto/ipv4.js';
import { silentLogger } from './logger.js';
import { startTestEtcd } from './etcd.js';
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
