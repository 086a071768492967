/**
 * The shapes of the Container Network Interface (CNI) specification, version 1.0.0, that the
 * agent writes and reads: network configuration lists (what it gives plugins on stdin), results
 * (what ADD prints) and errors (what a failing plugin prints).
 */

/** The CNI version every configuration the agent writes declares (Debian's plugins speak 0.1.0–1.0.0). */
export const CNI_VERSION = '1.0.0';

/** CniPluginConfig is one plugin of a configuration list: `type` names its binary in the plugin directory. */
export interface CniPluginConfig {
  type: string;
  /** Runtime features this plugin takes through `runtimeConfig` (e.g. portMappings). */
  capabilities?: Record<string, boolean>;
  [field: string]: unknown;
}

/** CniNetworkConfigList is a network configuration list: plugins run in order on ADD and CHECK, in reverse on DEL. */
export interface CniNetworkConfigList {
  cniVersion: string;
  name: string;
  plugins: CniPluginConfig[];
}

/** CniPortMapping is one host port of a pod, as the portMappings capability carries it. */
export interface CniPortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

/** CniRuntimeConfig is what the runtime passes to plugins that declare the matching capability. */
export interface CniRuntimeConfig {
  portMappings?: CniPortMapping[];
}

/** CniInterface is an interface a plugin made; `sandbox` is set for those inside the pod's namespace. */
export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}

/** CniIpConfig is an address a plugin assigned: `address` in CIDR form, `interface` an index into `interfaces`. */
export interface CniIpConfig {
  address: string;
  gateway?: string;
  interface?: number;
}

/** CniResult is what a successful ADD prints, and what the runtime passes on as `prevResult`. */
export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: Array<{ dst: string; gw?: string }>;
  dns?: Record<string, unknown>;
}

/** CniCommand is the operation asked of a plugin (CNI_COMMAND). */
export type CniCommand = 'ADD' | 'CHECK' | 'DEL';

/**
 * CniAttachment names one attachment of a pod to the network: the container id and interface
 * name together identify it for the plugins; `netns` is the path of the pod's network namespace,
 * or '' on a DEL when the namespace is already gone.
 */
export interface CniAttachment {
  containerId: string;
  ifName: string;
  netns: string;
}
