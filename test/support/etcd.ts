import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedEtcd } from '../../control-plane/etcd/embedded-etcd.js';
import { freePort } from './ports.js';

/** TestEtcd is a real etcd for one test suite, in its own temp directory, on free ports. */
export interface TestEtcd {
  endpoint: string;
  etcd: EmbeddedEtcd;
  /** stop ends etcd (by its PID) and removes its directory. */
  stop(): Promise<void>;
}

/** startTestEtcd runs the same EmbeddedEtcd the control plane uses, unsupervised. */
export async function startTestEtcd(): Promise<TestEtcd> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-test-etcd-'));
  const etcd = new EmbeddedEtcd({ dataDir: dir, clientPort: await freePort(), peerPort: await freePort(), supervise: false });
  try {
    await etcd.start();
  } catch (err) {
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint: etcd.endpoint,
    etcd,
    async stop() {
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
