import type { EtcdClient } from '../../control-plane/store/etcd-client.js';

/** EtcdContents is every key etcd holds with its value, and etcd's revision: two equal ones mean nothing was written between. */
export interface EtcdContents {
  revision: string;
  values: Record<string, string>;
}

/** etcdContents reads every key (objects and the control plane's own keys) at one revision. */
export async function etcdContents(client: EtcdClient): Promise<EtcdContents> {
  const res = await client.getAll().prefix('').exec();
  const values: Record<string, string> = {};
  for (const kv of res.kvs) values[kv.key.toString('utf8')] = kv.value.toString('utf8');
  return { revision: String(res.header.revision), values };
}

/** etcdRevision is etcd's revision now: it moves with every write, anywhere. */
export async function etcdRevision(client: EtcdClient): Promise<string> {
  const res = await client.get('/berth-test/revision-probe').exec();
  return String(res.header.revision);
}
