import type { EtcdTls } from './etcd-tls.js';

/**
 * The error the control plane stops with when its first etcd request fails: which etcd, what
 * failed, and, for an external etcd, the TLS flag that is the likely cure (etcd refusing a client
 * without a certificate only says that the connection closed).
 */
export function describeEtcdFailure(err: unknown, endpoints: string[], tls: EtcdTls | undefined, external = true): Error {
  // grpc-js appends when it happened and an empty resolver note: noise in a one-line reason.
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\(\d{4}-\d\d-\d\dT[\d:.]+Z\)\.? ?(Resolution note:.*)?$/s, '').trim();
  let hint = '';
  if (external && !tls) hint = '; if etcd serves TLS, give --etcd-cafile, and --etcd-certfile with --etcd-keyfile if it requires client certificates';
  else if (external && tls && !tls.client) hint = '; if etcd requires client certificates (--client-cert-auth), give --etcd-certfile and --etcd-keyfile';
  return new Error(`cannot use etcd at ${endpoints.join(', ')}: ${message}${hint}`);
}
