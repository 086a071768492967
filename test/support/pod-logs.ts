import type { ClusterAPIClient } from '../../proto/generated/berth/v1/ClusterAPI.js';
import { loadBerthProto } from '../../proto/grpc.js';
import { CONTROL_PLANE_SERVER_NAME, channelCredentials, channelOptionsFor } from '../../proto/security/tls-credentials.js';
import { testAdmin } from './test-pki.js';

/**
 * podLogs reads the whole log of a pod in `default` (its only container) through ClusterAPI.Logs
 * at `server` (a control plane of the test CA), as `berth logs` does; with `follow`, until the container ends, as `berth logs -f`.
 */
export async function podLogs(server: string, pod: string, options: { follow?: boolean } = {}): Promise<string> {
  const proto = loadBerthProto();
  const client = new proto.berth.v1.ClusterAPI(server, channelCredentials(await testAdmin()), channelOptionsFor(CONTROL_PLANE_SERVER_NAME)) as unknown as ClusterAPIClient;
  try {
    return await new Promise<string>((resolve, reject) => {
      let out = '';
      const stream = client.Logs({ namespace: 'default', pod, container: '', follow: options.follow ?? false, tail_lines: 0, previous: false });
      stream.on('data', (c: { data: Buffer }) => (out += c.data.toString()));
      stream.on('end', () => resolve(out));
      stream.on('error', reject);
    });
  } finally {
    client.close();
  }
}
