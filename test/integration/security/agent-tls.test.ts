import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { AgentAPIClient } from '../../../proto/generated/berth/v1/AgentAPI.js';
import { loadBerthProto } from '../../../proto/grpc.js';
import type { Node } from '../../../proto/objects/cluster.js';
import { RESOURCE } from '../../../proto/resources.js';
import { createCertificateAuthority } from '../../../proto/security/pki.js';
import { channelCredentials, channelOptionsFor, type TlsMaterial } from '../../../proto/security/tls-credentials.js';
import type { AgentTestCluster } from '../../support/agent-cluster.js';
import type { TestAgent } from '../../support/agent-process.js';
import { only, useAgentCluster } from '../../support/agent-suite.js';
import { berth } from '../../support/cli.js';
import { podLogs } from '../../support/pod-logs.js';
import { testCa, testCredentials, TEST_ADMIN, TEST_CONTROL_PLANE } from '../../support/test-pki.js';
import { eventually } from '../../support/wait.js';

describe("a node's AgentAPI over mutual TLS: only the control plane, and only the right node", function () {
  this.timeout(120_000);
  let cluster: AgentTestCluster;
  let agent: TestAgent;
  useAgentCluster((c, a) => ([cluster, agent] = [c, a]));

  before(async () => {
    const pod = await cluster.bindPod(agent.name, 'talker', { terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image: cluster.image, command: ['sh', '-c', 'echo hello from the node; exec sleep 3600'] }] });
    agent.podUids.add(pod.metadata.uid ?? '');
    await eventually(async () => expect(only(await cluster.pod('talker')).state?.running).to.not.equal(undefined), 30_000);
  });

  /** The agent's answer to a Logs call made directly with `credentials`: the log, or the refusal's status code. */
  async function logsWith(credentials: grpc.ChannelCredentials): Promise<string> {
    const client = new (loadBerthProto().berth.v1.AgentAPI)(`127.0.0.1:${agent.agentPort}`, credentials, channelOptionsFor(agent.name)) as unknown as AgentAPIClient;
    try {
      return await new Promise<string>((resolve) => {
        let out = '';
        const stream = client.Logs({ namespace: 'default', pod: 'talker', container: '', follow: false, tail_lines: 0, previous: false }, { deadline: Date.now() + 5000 });
        stream.on('data', (c: { data: Buffer }) => (out += c.data.toString()));
        stream.on('end', () => resolve(out));
        stream.on('error', (err: grpc.ServiceError) => resolve(grpc.status[err.code] ?? String(err.code)));
      });
    } finally {
      client.close();
    }
  }
  const as = async (material: Promise<TlsMaterial>) => channelCredentials(await material);

  /** The agent's answer to an Exec of `true` made directly with `credentials`: its exit code, or the refusal's status code. */
  async function execWith(credentials: grpc.ChannelCredentials): Promise<string> {
    const client = new (loadBerthProto().berth.v1.AgentAPI)(`127.0.0.1:${agent.agentPort}`, credentials, channelOptionsFor(agent.name)) as unknown as AgentAPIClient;
    try {
      return await new Promise<string>((resolve) => {
        const call = client.Exec({ deadline: Date.now() + 5000 });
        let exit = 'no exit code';
        call.on('data', (out: { output?: string; exit_code?: number }) => (out.output === 'exit_code' ? (exit = `exit ${out.exit_code}`) : undefined));
        call.on('end', () => resolve(exit));
        call.on('error', (err: grpc.ServiceError) => resolve(grpc.status[err.code] ?? String(err.code)));
        call.write({ start: { namespace: 'default', pod: 'talker', container: '', command: ['true'], stdin: false, tty: false } });
      });
    } finally {
      client.close();
    }
  }

  it('serves logs and exec to the control plane', async () => {
    expect(await logsWith(await as(testCredentials(TEST_CONTROL_PLANE)))).to.equal('hello from the node\n');
    expect(await execWith(await as(testCredentials(TEST_CONTROL_PLANE)))).to.equal('exit 0');
  });

  it('refuses an admin (logs and exec) and a node, even its own, with PERMISSION_DENIED, and logs who was refused', async () => {
    expect(await logsWith(await as(testCredentials(TEST_ADMIN)))).to.equal('PERMISSION_DENIED');
    expect(await execWith(await as(testCredentials(TEST_ADMIN)))).to.equal('PERMISSION_DENIED');
    expect(await logsWith(await as(testCredentials({ kind: 'node', nodeName: agent.name })))).to.equal('PERMISSION_DENIED');
    expect(await logsWith(await as(testCredentials({ kind: 'node', nodeName: 'another-node' })))).to.equal('PERMISSION_DENIED');
    await eventually(() => expect(agent.logs()).to.match(/"caller":"admin test-admin".*"message":"AgentAPI call refused/).and.to.match(/"caller":"node another-node".*"message":"AgentAPI call refused/));
  });

  it('refuses a caller without a certificate, or with a control plane certificate of another CA', async () => {
    const ca = await testCa();
    expect(await logsWith(grpc.credentials.createSsl(Buffer.from(ca.certPem)))).to.equal('UNAVAILABLE');
    expect(await logsWith(grpc.credentials.createInsecure())).to.equal('UNAVAILABLE');
    const stranger = await createCertificateAuthority('stranger');
    expect(await logsWith(await as(testCredentials(TEST_CONTROL_PLANE, { ca: stranger })))).to.equal('UNAVAILABLE');
  });

  it('the control plane gives logs only from an agent whose certificate names the pod\'s node', async () => {
    expect(await podLogs(cluster.server, 'talker')).to.equal('hello from the node\n');
    // A Node "impostor" says its agent serves at this agent's address: that agent's certificate names another node.
    const impostor: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'impostor' },
      spec: {},
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { agentEndpoint: { Port: agent.agentPort } } },
    };
    await cluster.store.create(RESOURCE.nodes, impostor);
    await cluster.bindPod('impostor', 'elsewhere', { containers: [{ name: 'main', image: cluster.image }] });
    const refused = await podLogs(cluster.server, 'elsewhere').then(
      () => 'served',
      (err: grpc.ServiceError) => `${grpc.status[err.code]}: ${err.details}`,
    );
    expect(refused).to.match(/^INTERNAL: cannot reach the agent of the pod's node, or it is not that node: .*impostor/);
    expect(refused).to.contain(`DNS:${agent.name}`);
    const cli = await berth(cluster.server, ['logs', 'elsewhere']);
    expect(cli.code).to.equal(1);
    expect(cli.stderr).to.match(/^Error from server \(InternalError\): cannot reach the agent of the pod's node, or it is not that node: Hostname\/IP does not match certificate's altnames: Host: impostor\. is not in the cert's altnames: DNS:node-/);
  });
});
