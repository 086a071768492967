import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { ClusterAPIClient } from '../../../proto/generated/berth/v1/ClusterAPI.js';
import type { NodeAPIClient } from '../../../proto/generated/berth/v1/NodeAPI.js';
import { loadBerthProto } from '../../../proto/grpc.js';
import { createCertificateAuthority } from '../../../proto/security/pki.js';
import { CONTROL_PLANE_SERVER_NAME, channelCredentials, channelOptionsFor } from '../../../proto/security/tls-credentials.js';
import { useControlPlaneWithClients, type ControlPlaneWithClients } from '../../support/control-plane.js';
import { testCa, testCredentials, TEST_ADMIN } from '../../support/test-pki.js';

/** The answer of one ClusterAPI List and one NodeAPI Heartbeat made with `credentials`: "ok" or the refusal's status code. */
async function answers(server: string, credentials: grpc.ChannelCredentials): Promise<{ clusterApi: string; nodeApi: string }> {
  const proto = loadBerthProto();
  const options = channelOptionsFor(CONTROL_PLANE_SERVER_NAME);
  const cluster = new proto.berth.v1.ClusterAPI(server, credentials, options) as unknown as ClusterAPIClient;
  const node = new proto.berth.v1.NodeAPI(server, credentials, options) as unknown as NodeAPIClient;
  const outcome = (err: grpc.ServiceError | null): string => (err ? grpc.status[err.code] : 'ok');
  const deadline = () => ({ deadline: Date.now() + 5000 });
  try {
    const [clusterApi, nodeApi] = await Promise.all([
      new Promise<string>((resolve) => cluster.List({ resource: 'namespaces' }, deadline(), (err) => resolve(outcome(err)))),
      // An unknown node: a caller that gets through at all is told NOT_FOUND.
      new Promise<string>((resolve) => node.Heartbeat({ node_name: 'tls-test-node' }, deadline(), (err) => resolve(outcome(err)))),
    ]);
    return { clusterApi, nodeApi };
  } finally {
    cluster.close();
    node.close();
  }
}

describe('the control plane serves ClusterAPI and NodeAPI over mutual TLS only', function () {
  this.timeout(60_000);
  let started: ControlPlaneWithClients;
  useControlPlaneWithClients((s) => (started = s));

  it('answers a caller with a certificate of the cluster CA', async () => {
    const admin = await testCredentials(TEST_ADMIN);
    expect(await answers(started.cp.server, channelCredentials(admin))).to.deep.equal({ clusterApi: 'ok', nodeApi: 'NOT_FOUND' });
  });

  it('refuses a caller without a client certificate, and one speaking plain text', async () => {
    const ca = await testCa();
    expect(await answers(started.cp.server, grpc.credentials.createSsl(Buffer.from(ca.certPem)))).to.deep.equal({ clusterApi: 'UNAVAILABLE', nodeApi: 'UNAVAILABLE' });
    expect(await answers(started.cp.server, grpc.credentials.createInsecure())).to.deep.equal({ clusterApi: 'UNAVAILABLE', nodeApi: 'UNAVAILABLE' });
  });

  it('refuses a caller whose certificate another CA issued, even for an admin or node name', async () => {
    const stranger = await createCertificateAuthority('stranger');
    for (const identity of [TEST_ADMIN, { kind: 'node' as const, nodeName: 'tls-test-node' }]) {
      const forged = await testCredentials(identity, { ca: stranger });
      expect(await answers(started.cp.server, channelCredentials(forged)), identity.kind).to.deep.equal({ clusterApi: 'UNAVAILABLE', nodeApi: 'UNAVAILABLE' });
    }
  });

  it('is not trusted by a client of another cluster: a client checks the control plane against its own CA', async () => {
    const stranger = await createCertificateAuthority('stranger');
    const other = await testCredentials(TEST_ADMIN, { ca: stranger });
    expect(await answers(started.cp.server, channelCredentials({ ...other, caPem: stranger.certPem }))).to.deep.equal({ clusterApi: 'UNAVAILABLE', nodeApi: 'UNAVAILABLE' });
  });
});
