import { parseIpv4 } from '../ipv4.js';
import { HEADLESS, NODE_PORT_RANGE, needsNodePorts } from '../objects/service.js';
import type { Service } from '../objects/service.js';
import type { CheckOutput } from './check.js';
import { checkSelectorLabels } from './checks-meta.js';
import { dns1123Label, dns1123Subdomain, ianaServiceName } from './names.js';
import { quote } from './problems.js';

/**
 * Service checks, with Kubernetes' wording. Whether a clusterIP or nodePort is free and inside
 * the control plane's range is decided when it is allocated (the API), not here.
 */

/** checkServiceType: an ExternalName Service names a DNS name and has no virtual IP. */
export function checkServiceType(s: Service, out: CheckOutput): void {
  if (s.spec.type !== 'ExternalName') return;
  const name = s.spec.externalName ?? '';
  if (name === '') out.error('spec.externalName', 'Required value');
  else {
    // Kubernetes accepts a fully qualified name with its trailing dot.
    const reason = dns1123Subdomain(name.endsWith('.') ? name.slice(0, -1) : name);
    if (reason) out.error('spec.externalName', `Invalid value: ${quote(name)}: ${reason}`);
  }
  if ((s.spec.clusterIP ?? '') !== '' || (s.spec.clusterIPs ?? []).length > 0) out.error('spec.clusterIP', 'Forbidden: may not be set for ExternalName services');
}

/** checkServiceClusterIP: `None`, or one IPv4 address, which clusterIPs repeats. */
export function checkServiceClusterIP(s: Service, out: CheckOutput): void {
  const ip = s.spec.clusterIP ?? '';
  const ips = s.spec.clusterIPs ?? [];
  if (ip !== '' && ip !== HEADLESS && parseIpv4(ip) === undefined) {
    out.error('spec.clusterIP', `Invalid value: ${quote(ip)}: must be ${quote(HEADLESS)} or a valid IPv4 address (e.g. 10.96.0.10); Berth services are IPv4 only`);
  }
  if (ips.length > 1) out.error('spec.clusterIPs', `Invalid value: ${quote(ips)}: Berth services are single-stack IPv4: give at most one address`);
  const first = ips[0];
  if (first !== undefined && ip !== '' && first !== ip) out.error('spec.clusterIPs[0]', `Invalid value: ${quote(first)}: must match clusterIP ${quote(ip)}`);
  const headless = ip === HEADLESS || first === HEADLESS;
  if (headless && needsNodePorts(s.spec)) out.error('spec.clusterIP', `Invalid value: "None": may not be set to 'None' for ${s.spec.type} services`);
}

export function checkServicePorts(s: Service, out: CheckOutput): void {
  const ports = s.spec.ports ?? [];
  const headless = s.spec.clusterIP === HEADLESS;
  if (ports.length === 0 && !headless && s.spec.type !== 'ExternalName') out.error('spec.ports', 'Required value');
  const names = new Set<string>();
  const portProtocols = new Set<string>();
  const nodePortProtocols = new Set<string>();
  ports.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    if (ports.length > 1 && (p.name ?? '') === '') out.error(`${path}.name`, 'Required value');
    if (p.name) {
      const reason = dns1123Label(p.name);
      if (reason) out.error(`${path}.name`, `Invalid value: ${quote(p.name)}: ${reason}`);
      if (names.has(p.name)) out.error(`${path}.name`, `Duplicate value: ${quote(p.name)}`);
      names.add(p.name);
    }
    const key = `${p.port}/${p.protocol ?? 'TCP'}`;
    if (portProtocols.has(key)) out.error(path, `Duplicate value: ${quote({ port: p.port, protocol: p.protocol ?? 'TCP' })}`);
    portProtocols.add(key);
    const target = p.targetPort;
    if (typeof target === 'number' && (target < 1 || target > 65535)) {
      out.error(`${path}.targetPort`, `Invalid value: ${target}: must be between 1 and 65535, inclusive`);
    }
    if (typeof target === 'string') {
      const reason = ianaServiceName(target);
      if (reason) out.error(`${path}.targetPort`, `Invalid value: ${quote(target)}: ${reason}`);
    }
    checkNodePort(s, i, nodePortProtocols, out);
  });
}

/** checkNodePort: only NodePort and LoadBalancer Services have them, inside the node-port range, once per protocol. */
function checkNodePort(s: Service, index: number, seen: Set<string>, out: CheckOutput): void {
  const p = (s.spec.ports ?? [])[index];
  if (p?.nodePort === undefined || p.nodePort === 0) return;
  const path = `spec.ports[${index}].nodePort`;
  if (!needsNodePorts(s.spec)) {
    out.error(path, `Forbidden: may not be used when \`type\` is ${quote(s.spec.type ?? 'ClusterIP')}`);
    return;
  }
  if (p.nodePort < NODE_PORT_RANGE.min || p.nodePort > NODE_PORT_RANGE.max) {
    out.error(path, `Invalid value: ${p.nodePort}: provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`);
  }
  const key = `${p.nodePort}/${p.protocol ?? 'TCP'}`;
  if (seen.has(key)) out.error(path, `Duplicate value: ${p.nodePort}`);
  seen.add(key);
}

export function checkServiceSelector(s: Service, out: CheckOutput): void {
  checkSelectorLabels(s.spec.selector, 'spec.selector', out);
}
