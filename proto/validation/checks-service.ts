import type { Service } from '../objects/service.js';
import type { CheckOutput } from './check.js';
import { checkSelectorLabels } from './checks-meta.js';
import { dns1123Label, ianaServiceName } from './names.js';
import { quote } from './problems.js';

/** Service types Berth implements. The others are Kubernetes values Berth refuses, saying so. */
const SUPPORTED_TYPES = ['ClusterIP'];

export function checkServiceType(s: Service, out: CheckOutput): void {
  const type = s.spec.type ?? 'ClusterIP';
  if (!SUPPORTED_TYPES.includes(type)) {
    out.error('spec.type', `Unsupported value: ${quote(type)}: Berth supports "ClusterIP" services only`);
  }
}

export function checkServicePorts(s: Service, out: CheckOutput): void {
  const ports = s.spec.ports ?? [];
  const headless = s.spec.clusterIP === 'None';
  if (ports.length === 0 && !headless) out.error('spec.ports', 'Required value');
  const names = new Set<string>();
  const portProtocols = new Set<string>();
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
    if (p.nodePort !== undefined) out.warn(`${path}.nodePort`, 'unsupported field: Berth supports ClusterIP services only; ignored');
  });
}

export function checkServiceSelector(s: Service, out: CheckOutput): void {
  checkSelectorLabels(s.spec.selector, 'spec.selector', out);
}
