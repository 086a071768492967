// Stand-in until the control plane serves mutual TLS itself: ClusterAPI and NodeAPI behind the
// authorization gates, on a TLS server that requires client certificates of a per-suite CA.
import * as grpc from '@grpc/grpc-js';
import { NodeOperations } from '../../../control-plane/api/node-operations.js';
import { ObjectService } from '../../../control-plane/api/object-service.js';
import { authorizeClusterApi, authorizeNodeApi } from '../../../control-plane/grpc/authorized-service.js';
import { clusterApiHandlers } from '../../../control-plane/grpc/cluster-api.js';
import { refuseMalformed } from '../../../control-plane/grpc/malformed-requests.js';
import { nodeApiHandlers } from '../../../control-plane/grpc/node-api.js';
import { NodeService } from '../../../control-plane/nodes/node-service.js';
import { connectEtcd } from '../../../control-plane/store/etcd-client.js';
import { ObjectStore } from '../../../control-plane/store/object-store.js';
import { loadBerthProto } from '../../../proto/grpc.js';
import { createCertificateAuthority, issueKeyAndCertificate } from '../../../proto/security/pki.js';
import { subjectFor, type CallerIdentity } from '../../../proto/security/identity.js';
import { CONTROL_PLANE_SERVER_NAME, serverCredentials, type TlsMaterial } from '../../../proto/security/tls-credentials.js';
import { startTestEtcd } from '../../support/etcd.js';
import { silentLogger } from '../../support/logger.js';

const HOUR = 3_600_000;

/** A control plane serving mutual TLS, its store, and the credentials of any identity from its CA. */
export interface SecureControlPlane {
  server: string;
  store: ObjectStore;
  material(identity: CallerIdentity): Promise<TlsMaterial>;
  stop(): Promise<void>;
}

export async function startSecureControlPlane(): Promise<SecureControlPlane> {
  const etcd = await startTestEtcd();
  const client = connectEtcd([etcd.endpoint]);
  const store = new ObjectStore(client);
  const logger = silentLogger();
  const nodes = new NodeService(store, logger);
  const ca = await createCertificateAuthority();
  const serving = await issueKeyAndCertificate(ca, subjectFor({ kind: 'control-plane', name: 'berth-control-plane' }), { usage: 'server-and-client', validForMs: HOUR, dnsNames: [CONTROL_PLANE_SERVER_NAME] });
  const proto = loadBerthProto();
  const server = new grpc.Server();
  server.addService(...refuseMalformed(proto.berth.v1.ClusterAPI.service, authorizeClusterApi(proto.berth.v1.ClusterAPI.service, clusterApiHandlers(new ObjectService(store, logger), new NodeOperations(store, logger), logger, nodes), logger)));
  server.addService(...refuseMalformed(proto.berth.v1.NodeAPI.service, authorizeNodeApi(proto.berth.v1.NodeAPI.service, nodeApiHandlers(nodes, logger), nodes, logger)));
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', serverCredentials({ caPem: ca.certPem, ...serving }), (err, p) => (err ? reject(err) : resolve(p))));
  return {
    server: `127.0.0.1:${port}`,
    store,
    material: async (identity) => ({ caPem: ca.certPem, ...(await issueKeyAndCertificate(ca, subjectFor(identity), { usage: 'client', validForMs: HOUR })) }),
    async stop() {
      server.forceShutdown();
      nodes.stop();
      client.close();
      await etcd.stop();
    },
  };
}
