import { ConsecutiveBreaker, ExponentialBackoff, circuitBreaker, handleWhen, retry } from 'cockatiel';
import { Etcd3, isRecoverableError } from 'etcd3';
import type { EtcdTls } from './etcd-tls.js';

/** EtcdClient is the etcd client the store owns; tests that seed or break etcd directly use it too. */
export type EtcdClient = Etcd3;

/**
 * connectEtcd builds the etcd3 client the control plane uses. The library's default circuit
 * breaker keeps a host "broken" for 5 s after 3 failures, which would make recovery from an
 * etcd restart slow; a shorter half-open time lets requests flow again within a second.
 * With `tls`, the connection is TLS: etcd's certificate is checked against `tls.caPem`, and the
 * client certificate, if any, is presented.
 */
export function connectEtcd(endpoints: string[], tls?: EtcdTls): EtcdClient {
  return new Etcd3({
    hosts: endpoints,
    ...(tls ? { credentials: { rootCertificate: Buffer.from(tls.caPem), ...(tls.client ? { certChain: Buffer.from(tls.client.certPem), privateKey: Buffer.from(tls.client.keyPem) } : {}) } } : {}),
    dialTimeout: 3000,
    // A list of many objects (10,000 pods is about 6 MB) exceeds gRPC's 4 MB default.
    grpcOptions: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
    faultHandling: {
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(3) }),
      global: retry(handleWhen(isRecoverableError), { maxAttempts: 3, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }) }),
    },
  });
}
