/** What the agent integration suites share: one cluster and one real agent per suite. */
import type { ContainerStatus, Pod } from '../../proto/objects/pod.js';
import { AgentTestCluster } from './agent-cluster.js';
import { TestAgent } from './agent-process.js';

/**
 * useAgentCluster registers, for the calling suite, an AgentTestCluster with one TestAgent
 * started against it (handed to `use` before the first test), both removed after the last also
 * when a test fails; a failed test prints the agent's log. `agentFlags` go to the agent's command line.
 */
export function useAgentCluster(use: (cluster: AgentTestCluster, agent: TestAgent) => void, agentFlags: string[] = []): void {
  let cluster: AgentTestCluster | undefined;
  let agent: TestAgent | undefined;
  before(async () => {
    cluster = await AgentTestCluster.start();
    agent = await TestAgent.start({ server: cluster.server, insecureRegistries: [cluster.registry.address], extraArgs: agentFlags });
    use(cluster, agent);
  });
  after(async () => {
    await agent?.cleanup();
    await cluster?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && agent) console.error(agent.logs());
  });
}

/** runtimeId is the runtime's id of a container from its status (containerID without berth://). */
export function runtimeId(status: ContainerStatus): string {
  return (status.containerID ?? '').replace(/^berth:\/\//, '');
}

/** The status of the pod's only container, or a failing assertion. */
export function only(pod: Pod): ContainerStatus {
  const s = pod.status?.containerStatuses?.[0];
  if (!s) throw new Error(`pod ${pod.metadata.name} has no container status yet: ${JSON.stringify(pod.status)}`);
  return s;
}
