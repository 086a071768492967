/**
 * What the service proxy wants in nftables, as plain data (no I/O): the table's fixed skeleton
 * and, per Service, its chains and its elements in the table's sets and maps. nft-script.ts turns
 * the difference between two plans into one nft transaction.
 *
 * The table `ip berth-proxy` (the pod network's masquerading lives in `ip berth-nat`):
 *
 *   nat prerouting/output ─▶ services: ip daddr . l4proto . dport vmap @service-ips   (ClusterIP, LB IP)
 *                                      local daddr: l4proto . dport vmap @service-nodeports
 *   svc-<ns>/<svc>/<proto>/<port>: dnat to numgen random mod N map { i : endpoint . port }
 *   ext-<ns>/<svc>/<proto>/<port>: mark for masquerade, goto the svc- chain (NodePort, LB IP)
 *   nat postrouting: masquerade what was marked, and hairpin (pod → its own Service → itself)
 *   filter forward/output: new connections still addressed to a ClusterIP (no endpoint) are rejected
 *
 * One chain per Service port and no chain per endpoint: nft reads every chain of the table
 * before each transaction, and at 10,000 endpoints per-endpoint chains made each change cost
 * three times as much.
 */
import { createHash } from 'node:crypto';
import type { EndpointSlice } from '../../proto/objects/discovery.js';
import type { Service, ServicePort } from '../../proto/objects/service.js';
import { backendsOf, clusterIPOf, isIPv4, protocolOf, trafficBackends, type Backend } from './endpoints.js';

/** The proxy's own table (family ip). */
export const TABLE = 'berth-proxy';
/** The packet mark bit that asks nat postrouting to masquerade (Kubernetes' proxies use the same bit). */
export const MASQUERADE_MARK = 0x4000;

/** The table's sets and maps, each holding elements owned by Services. */
export const SET_NAMES = ['service-ips', 'service-nodeports', 'cluster-ips', 'hairpin'] as const;
/** SetName names one of the table's sets or maps. */
export type SetName = (typeof SET_NAMES)[number];

/** How each set is declared. */
export const SET_DECLARATIONS: Record<SetName, string> = {
  'service-ips': 'map ip berth-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }',
  'service-nodeports': 'map ip berth-proxy service-nodeports { type inet_proto . inet_service : verdict ; }',
  'cluster-ips': 'set ip berth-proxy cluster-ips { type ipv4_addr ; }',
  hairpin: 'set ip berth-proxy hairpin { type ipv4_addr . ipv4_addr ; }',
};

/** ChainPlan is one chain: its declaration suffix for base chains (`{ type … hook … }`) and its rules. */
export interface ChainPlan {
  base?: string;
  rules: string[];
}

/** TablePlan is a part of the table: chains by name, and elements (key → value, '' in a plain set) by set. */
export interface TablePlan {
  chains: Map<string, ChainPlan>;
  elements: Record<SetName, Map<string, string>>;
}

/** emptyPlan is a plan with nothing in it. */
export function emptyPlan(): TablePlan {
  return { chains: new Map(), elements: { 'service-ips': new Map(), 'service-nodeports': new Map(), 'cluster-ips': new Map(), hairpin: new Map() } };
}

const mark = `0x${MASQUERADE_MARK.toString(16)}`;
const unmark = `0x${(~MASQUERADE_MARK >>> 0).toString(16)}`;

/** skeletonPlan is the fixed part of the table: the base chains and the dispatch chain. */
export function skeletonPlan(): TablePlan {
  const plan = emptyPlan();
  const chains: Array<[string, ChainPlan]> = [
    ['nat-prerouting', { base: '{ type nat hook prerouting priority dstnat ; policy accept ; }', rules: ['jump services'] }],
    // dstnat is a prerouting name; output takes the number.
    ['nat-output', { base: '{ type nat hook output priority -100 ; policy accept ; }', rules: ['jump services'] }],
    [
      'nat-postrouting',
      {
        base: '{ type nat hook postrouting priority srcnat ; policy accept ; }',
        rules: [`meta mark & ${mark} == ${mark} meta mark set meta mark & ${unmark} masquerade`, 'ct status dnat ip saddr . ip daddr @hairpin masquerade'],
      },
    ],
    [
      'services',
      {
        rules: [
          'ip daddr . meta l4proto . th dport vmap @service-ips',
          // NodePorts on every address of the node but loopback (a DNAT from 127.0.0.1 to another host cannot be routed).
          'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports',
        ],
      },
    ],
    // Reached only by what no DNAT rewrote: a ClusterIP port without endpoints, or not a port of the Service.
    ['filter-forward', { base: '{ type filter hook forward priority filter ; policy accept ; }', rules: ['ct state new ip daddr @cluster-ips reject'] }],
    ['filter-output', { base: '{ type filter hook output priority filter ; policy accept ; }', rules: ['ct state new ip daddr @cluster-ips reject'] }],
  ];
  for (const [name, chain] of chains) plan.chains.set(name, chain);
  return plan;
}

const IDENTIFIER = /^[a-zA-Z][a-zA-Z0-9/_.-]{0,200}$/;

/** chainName is the chain of one Service port: readable when the names allow, hashed otherwise. */
export function chainName(kind: 'svc' | 'ext', namespace: string, service: string, protocol: string, port: string): string {
  const readable = `${kind}-${namespace}/${service}/${protocol}/${port}`;
  if (IDENTIFIER.test(readable)) return readable;
  return `${kind}-h${createHash('sha256').update(readable).digest('hex').slice(0, 24)}`;
}

function ipNumber(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** dnatRule sends a new connection to one of the backends, chosen at random. */
export function dnatRule(protocol: 'tcp' | 'udp', backends: readonly Backend[]): string {
  const sorted = [...backends].sort((a, b) => ipNumber(a.ip) - ipNumber(b.ip) || a.port - b.port);
  const [only] = sorted;
  if (sorted.length === 1 && only) return `meta l4proto ${protocol} dnat ip to ${only.ip}:${only.port}`;
  const entries = sorted.map((b, i) => `${i} : ${b.ip} . ${b.port}`).join(', ');
  return `meta l4proto ${protocol} dnat ip to numgen random mod ${sorted.length} map { ${entries} }`;
}

/** loadBalancerIPs are the IPv4 ingress addresses in a Service's status. */
export function loadBalancerIPs(service: Service): string[] {
  const ingress = service.status?.loadBalancer?.['ingress'];
  if (!Array.isArray(ingress)) return [];
  return ingress.map((entry: unknown) => (entry as { ip?: unknown }).ip).filter((ip): ip is string => typeof ip === 'string' && isIPv4(ip));
}

function nodePortOf(service: Service, port: ServicePort): number | undefined {
  const type = service.spec.type ?? 'ClusterIP';
  if (type !== 'NodePort' && type !== 'LoadBalancer') return undefined;
  const n = port.nodePort;
  return n !== undefined && Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

/**
 * planService is what one Service needs: for each TCP/UDP port with backends, a svc- chain
 * (and an ext- chain when it is reached from outside: NodePort, LoadBalancer ingress IPs) and
 * the map elements leading to them; its ClusterIP in `cluster-ips`; every backend in `hairpin`.
 * A deleted, headless or address-less Service needs nothing.
 */
export function planService(service: Service | undefined, slices: readonly EndpointSlice[]): TablePlan {
  const plan = emptyPlan();
  if (!service) return plan;
  const clusterIP = clusterIPOf(service);
  if (clusterIP === undefined) return plan;
  const namespace = service.metadata.namespace ?? 'default';
  plan.elements['cluster-ips'].set(clusterIP, '');
  const lbIPs = service.spec.type === 'LoadBalancer' ? loadBalancerIPs(service) : [];
  for (const port of service.spec.ports ?? []) {
    const served = protocolOf(port);
    if (!served || !Number.isInteger(port.port) || port.port < 1 || port.port > 65535) continue;
    const protocol = served === 'TCP' ? 'tcp' : 'udp';
    const backends = trafficBackends(backendsOf(port, slices));
    if (backends.length === 0) continue;
    const portId = port.name || String(port.port);
    const svc = chainName('svc', namespace, service.metadata.name, protocol, portId);
    plan.chains.set(svc, { rules: [dnatRule(protocol, backends)] });
    plan.elements['service-ips'].set(`${clusterIP} . ${protocol} . ${port.port}`, `goto ${svc}`);
    for (const b of backends) plan.elements.hairpin.set(`${b.ip} . ${b.ip}`, '');
    const nodePort = nodePortOf(service, port);
    if (nodePort === undefined && lbIPs.length === 0) continue;
    const ext = chainName('ext', namespace, service.metadata.name, protocol, portId);
    // From outside the node: masquerade, so replies come back through this node and its conntrack.
    plan.chains.set(ext, { rules: [`meta mark set meta mark | ${mark} goto ${svc}`] });
    if (nodePort !== undefined) plan.elements['service-nodeports'].set(`${protocol} . ${nodePort}`, `goto ${ext}`);
    for (const ip of lbIPs) plan.elements['service-ips'].set(`${ip} . ${protocol} . ${port.port}`, `goto ${ext}`);
  }
  return plan;
}
