/**
 * The CNI network configuration the agent generates for its node. Pure: the node's pod CIDR and
 * the agent's directories in, a configuration list out.
 *
 * The list is the `bridge` plugin with `host-local` IPAM: every pod gets a veth pair whose host
 * end joins one Linux bridge in the node's network namespace; the bridge holds the gateway (the
 * first address of the pod CIDR), so pods on one node talk over the bridge and everything else
 * is routed by the node. hairpinMode lets a pod's own packets come back to it through the bridge
 * (a pod reaching itself through its Service). ipMasq is off: the agent masquerades with
 * nftables itself (masquerade.ts), so no iptables chains are made per pod. `portmap` is appended
 * only for a pod that asks for host ports, so other pods pay no extra plugin run.
 */
import type { Pod } from '../../proto/objects/pod.js';
import { CNI_VERSION, type CniNetworkConfigList, type CniPortMapping } from './cni-types.js';
import { gatewayOf } from './ipv4.js';

/** The network's name: host-local keeps its leases under <dataDir>/<name>. */
export const NETWORK_NAME = 'berth';
/** The bridge in the node's network namespace that every pod's veth joins. */
export const DEFAULT_BRIDGE = 'berth0';

/** NodeNetworkSettings is what the configuration is generated from. */
export interface NodeNetworkSettings {
  /** The node's pod CIDR (a /24 of the cluster CIDR, from registration). */
  podCIDR: string;
  /** The bridge's name in the node's network namespace. */
  bridge: string;
  /** host-local's lease directory: under the agent's --root, never a global path (several agents share a machine). */
  ipamDataDir: string;
}

/** podNetworkConfig is the configuration list for a pod of this node; with port mappings, portmap follows bridge. */
export function podNetworkConfig(settings: NodeNetworkSettings, portMappings: readonly CniPortMapping[] = []): CniNetworkConfigList {
  const bridge = {
    type: 'bridge',
    bridge: settings.bridge,
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    ipam: {
      type: 'host-local',
      ranges: [[{ subnet: settings.podCIDR, gateway: gatewayOf(settings.podCIDR) }]],
      routes: [{ dst: '0.0.0.0/0' }],
      dataDir: settings.ipamDataDir,
    },
  };
  const plugins = portMappings.length > 0 ? [bridge, { type: 'portmap', capabilities: { portMappings: true }, snat: true }] : [bridge];
  return { cniVersion: CNI_VERSION, name: NETWORK_NAME, plugins };
}

/** portMappingsOf lists the host ports a pod's containers ask for (ports with a hostPort), as CNI's portmap takes them. */
export function portMappingsOf(pod: Pod): CniPortMapping[] {
  const out: CniPortMapping[] = [];
  for (const container of pod.spec.containers) {
    for (const port of container.ports ?? []) {
      if (!port.hostPort) continue;
      const protocol = (port.protocol ?? 'TCP').toLowerCase() as CniPortMapping['protocol'];
      out.push({ hostPort: port.hostPort, containerPort: port.containerPort, protocol, ...(port.hostIP ? { hostIP: port.hostIP } : {}) });
    }
  }
  return out;
}
