import { createPodNetns, removePodNetns } from './pod-netns.js';
import { podNetnsPath, type PodAttachment, type PodNetwork, type PodNetworkRequest } from './pod-network.js';

/**
 * LoopbackPodNetwork is the PodNetwork with a loopback interface only and no pod IP: the agent's
 * `--pod-network loopback`, for an agent that does not own its network namespace (several agents
 * in one namespace, as the agent integration tests run them), where a bridge, routes and
 * nftables rules would be shared by all.
 */
export class LoopbackPodNetwork implements PodNetwork {
  async setUp(pod: PodNetworkRequest): Promise<PodAttachment> {
    const netnsPath = podNetnsPath(pod.uid);
    await createPodNetns(netnsPath);
    return { netnsPath };
  }

  tearDown(podUid: string): Promise<void> {
    return removePodNetns(podNetnsPath(podUid));
  }

  /** Nothing is recorded beyond the namespaces, which are the pods' own. */
  async removeOthers(): Promise<void> {}
}
