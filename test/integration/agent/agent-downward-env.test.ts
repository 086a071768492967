import { expect } from 'chai';
import type { AgentTestCluster } from '../../support/agent-cluster.js';
import type { TestAgent } from '../../support/agent-process.js';
import { useAgentCluster } from '../../support/agent-suite.js';
import { podLogs } from '../../support/pod-logs.js';
import { eventually } from '../../support/wait.js';

/**
 * The downward API as environment variables and Kubernetes' `$(VAR)` expansion, through a real
 * agent and container: the pod prints what it got. These agents use the loopback pod network
 * (the test's own namespace), so the pod has no IP of its own and `status.podIP` is what the
 * pod's status reports: none, an empty variable.
 */
describe('berth-agent: downward API env vars and $(VAR) expansion', function () {
  this.timeout(120_000);
  let cluster: AgentTestCluster;
  let agent: TestAgent;

  useAgentCluster((c, a) => ([cluster, agent] = [c, a]));

  const logsOf = (pod: string): Promise<string> => podLogs(cluster.server, pod);

  const field = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

  it('gives a container its pod name, namespace, node, IPs, a label and its limits, and expands $(VAR) in env, command and args as Kubernetes', async () => {
    const pod = await cluster.bindPod(
      agent.name,
      'downward-reader',
      {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'main',
            image: cluster.image,
            resources: { limits: { memory: '64Mi', cpu: '250m' } },
            env: [
              field('MY_POD_NAME', 'metadata.name'),
              field('MY_POD_NAMESPACE', 'metadata.namespace'),
              field('MY_POD_UID', 'metadata.uid'),
              field('MY_NODE_NAME', 'spec.nodeName'),
              field('MY_HOST_IP', 'status.hostIP'),
              field('MY_POD_IP', 'status.podIP'),
              field('MY_APP', "metadata.labels['app']"),
              { name: 'MY_MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
              { name: 'MY_CPU_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
              { name: 'GREETING', value: 'hello $(MY_POD_NAME) from $(MY_APP), not $(LATER), $$(MY_APP) stays' },
              { name: 'LATER', value: 'later' },
            ],
            command: ['sh', '-c', 'env | grep -E "^(MY_|GREETING=)" | sort; echo "cmd: $1 $2 $3"', '--'],
            args: ['$(MY_POD_NAMESPACE)/$(LATER)', '$$(MY_POD_NAME)', '$(UNDEFINED)'],
          },
        ],
      },
      { app: 'shop' },
    );
    agent.podUids.add(pod.metadata.uid ?? '');
    await eventually(async () => expect((await cluster.pod('downward-reader')).status?.phase).to.equal('Succeeded'), 60_000);
    const podIP = (await cluster.pod('downward-reader')).status?.podIP ?? '';
    const lines = (await logsOf('downward-reader')).trim().split('\n');
    expect(lines).to.deep.equal([
      'GREETING=hello downward-reader from shop, not $(LATER), $(MY_APP) stays',
      'MY_APP=shop',
      'MY_CPU_M=250',
      'MY_HOST_IP=127.0.0.1',
      'MY_MEM_MI=64',
      `MY_NODE_NAME=${agent.name}`,
      `MY_POD_IP=${podIP}`,
      'MY_POD_NAME=downward-reader',
      'MY_POD_NAMESPACE=default',
      `MY_POD_UID=${pod.metadata.uid ?? ''}`,
      'cmd: default/later $(MY_POD_NAME) $(UNDEFINED)',
    ]);
  });
});
