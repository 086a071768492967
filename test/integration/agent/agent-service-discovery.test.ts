import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Event } from '../../../proto/objects/cluster.js';
import type { Service } from '../../../proto/objects/service.js';
import { RESOURCE } from '../../../proto/resources.js';
import { newIdentity } from '../../../control-plane/objects/identity.js';
import { formatResolvConf, nodeResolvConf, parseResolvConf } from '../../../node-agent/dns/resolv-conf.js';
import type { AgentTestCluster } from '../../support/agent-cluster.js';
import type { TestAgent } from '../../support/agent-process.js';
import { useAgentCluster } from '../../support/agent-suite.js';
import { podLogs } from '../../support/pod-logs.js';
import { eventually } from '../../support/wait.js';

/**
 * What a real agent gives containers from the Services it watches: the Service environment
 * variables and /etc/resolv.conf. These agents run in the test's own network namespace with
 * --no-cluster-dns, so a ClusterFirst pod gets the node's resolvers, with a MissingClusterDNS
 * event, as the kubelet does without a cluster DNS.
 */
describe('berth-agent: service discovery for containers (environment, resolv.conf)', function () {
  this.timeout(120_000);
  let cluster: AgentTestCluster;
  let agent: TestAgent;

  useAgentCluster((c, a) => ([cluster, agent] = [c, a]));

  const createService = (name: string, clusterIP: string, ports: Service['spec']['ports']) =>
    cluster.store.create(RESOURCE.services, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', ...newIdentity() }, spec: { clusterIP, ports } } as Service);

  const logsOf = (pod: string): Promise<string> => podLogs(cluster.server, pod);

  it('gives a container the variables of the Services that exist when it starts, its own env winning and able to refer to them', async () => {
    await createService('web-front', '10.96.0.50', [{ name: 'http', port: 80, protocol: 'TCP' }]);
    const pod = await cluster.bindPod(agent.name, 'env-reader', {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'main',
          image: cluster.image,
          command: ['sh', '-c', 'env | grep -E "^(WEB_FRONT|KUBERNETES|URL)" | sort; cat /etc/resolv.conf; (echo x > /etc/resolv.conf) 2>/dev/null && echo writable || echo read-only'],
          env: [
            { name: 'URL', value: 'http://$(WEB_FRONT_SERVICE_HOST):$(WEB_FRONT_SERVICE_PORT)' },
            { name: 'WEB_FRONT_SERVICE_PORT_HTTP', value: '8080' },
          ],
        },
      ],
    });
    agent.podUids.add(pod.metadata.uid ?? '');
    await eventually(async () => expect((await cluster.pod('env-reader')).status?.phase).to.equal('Succeeded'), 60_000);
    const lines = (await logsOf('env-reader')).trim().split('\n');
    expect(lines).to.include.members([
      'URL=http://10.96.0.50:80',
      'WEB_FRONT_SERVICE_HOST=10.96.0.50',
      'WEB_FRONT_SERVICE_PORT=80',
      'WEB_FRONT_SERVICE_PORT_HTTP=8080',
      'WEB_FRONT_PORT=tcp://10.96.0.50:80',
      'WEB_FRONT_PORT_80_TCP_ADDR=10.96.0.50',
    ]);
    const node = formatResolvConf(nodeResolvConf(parseResolvConf(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''))));
    expect(lines.slice(lines.findIndex((l) => !/^[A-Z0-9_]+=/.test(l))).join('\n') + '\n').to.equal(`${node}read-only\n`);
    const { items } = await cluster.store.list(RESOURCE.events, 'default');
    expect((items as Event[]).filter((e) => e.involvedObject.name === 'env-reader').map((e) => e.reason)).to.include('MissingClusterDNS');
  });

  it('keeps the Services it knows in its state directory, for restarts while the control plane is away', async () => {
    await eventually(async () => {
      const saved = JSON.parse(await readFile(join(agent.root, 'services.json'), 'utf8')) as { podCIDR?: string; services: Service[] };
      expect(saved.services.map((s) => s.metadata.name)).to.include('web-front');
      expect(saved.podCIDR).to.match(/^10\.244\.\d+\.0\/24$/);
    });
  });
});
