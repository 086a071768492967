import type { EnvVar } from '../../proto/objects/pod.js';
import type { Service } from '../../proto/objects/service.js';
import { clusterIPOf } from './endpoints.js';

/** The Services whose variables every pod gets, whatever its namespace and enableServiceLinks (Kubernetes' "master services"). */
const ALWAYS = { namespace: 'default', names: new Set(['kubernetes']) };

const variableName = (service: string) => service.toUpperCase().replace(/-/g, '_');

/** linkVariables are the variables of one Service with a ClusterIP and ports (Kubernetes' envvars.FromServices). */
function linkVariables(service: Service, clusterIP: string): EnvVar[] {
  const ports = service.spec.ports ?? [];
  const [first] = ports;
  if (!first) return [];
  const prefix = variableName(service.metadata.name);
  const out: EnvVar[] = [
    { name: `${prefix}_SERVICE_HOST`, value: clusterIP },
    { name: `${prefix}_SERVICE_PORT`, value: String(first.port) },
  ];
  for (const port of ports) if (port.name) out.push({ name: `${prefix}_SERVICE_PORT_${variableName(port.name)}`, value: String(port.port) });
  // Docker links' variables: the first port also as <SVC>_PORT.
  ports.forEach((port, i) => {
    const protocol = (port.protocol ?? 'TCP').toLowerCase();
    const url = `${protocol}://${clusterIP}:${port.port}`;
    if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
    const portPrefix = `${prefix}_PORT_${port.port}_${protocol.toUpperCase()}`;
    out.push({ name: portPrefix, value: url }, { name: `${portPrefix}_PROTO`, value: protocol }, { name: `${portPrefix}_PORT`, value: String(port.port) }, { name: `${portPrefix}_ADDR`, value: clusterIP });
  });
  return out;
}

/**
 * serviceEnvironment is what Kubernetes puts in a container's environment about Services: for
 * each Service with a ClusterIP in the pod's namespace (unless the pod sets
 * `enableServiceLinks: false`), and always for `kubernetes` in `default`,
 * `<SVC>_SERVICE_HOST`, `<SVC>_SERVICE_PORT[_<PORT>]` and the Docker-links variables
 * `<SVC>_PORT[_<port>_<PROTO>[_PROTO|_PORT|_ADDR]]`. A Service of the pod's own namespace wins
 * over one of `default` with the same name. Names come out sorted, so a container's environment
 * does not depend on the order Services arrived in.
 */
export function serviceEnvironment(namespace: string, enableServiceLinks: boolean | undefined, inNamespace: (ns: string) => Service[]): EnvVar[] {
  const chosen = new Map<string, Service>();
  for (const s of inNamespace(ALWAYS.namespace)) if (ALWAYS.names.has(s.metadata.name)) chosen.set(s.metadata.name, s);
  if (enableServiceLinks !== false) for (const s of inNamespace(namespace)) chosen.set(s.metadata.name, s);
  const out: EnvVar[] = [];
  for (const name of [...chosen.keys()].sort()) {
    const s = chosen.get(name);
    const ip = s && clusterIPOf(s);
    if (s && ip) out.push(...linkVariables(s, ip));
  }
  return out;
}
