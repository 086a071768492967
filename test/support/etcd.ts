import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedEtcd } from '../../control-plane/etcd/embedded-etcd.js';
import { connectEtcd, type EtcdClient } from '../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../control-plane/store/object-store.js';
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

/** EtcdStore is one suite's real etcd, a client of it, and an ObjectStore over that client. */
export interface EtcdStore {
  etcd: TestEtcd;
  client: EtcdClient;
  store: ObjectStore;
}

/**
 * useEtcdStore registers what a store-level suite needs: one real etcd for the suite with a
 * client and an ObjectStore, handed to `use` before the first test, and all of it stopped after
 * the last, also when a test fails. With `emptyAfterEach`, every key under /berth/ is deleted
 * after each test.
 */
export function useEtcdStore(use: (env: EtcdStore) => void, options: { emptyAfterEach?: boolean } = {}): void {
  let env: EtcdStore | undefined;
  before(async () => {
    const etcd = await startTestEtcd();
    const client = connectEtcd([etcd.endpoint]);
    env = { etcd, client, store: new ObjectStore(client) };
    use(env);
  });
  if (options.emptyAfterEach) {
    afterEach(async () => {
      await env?.client.delete().prefix('/berth/').exec();
    });
  }
  after(async () => {
    env?.client.close();
    await env?.etcd.stop();
  });
}
