import { networkInterfaces } from 'node:os';
import type { Logger } from 'winston';
import { formatIpv4, parseIpv4 } from '../../proto/ipv4.js';
import type { Ipv4Range } from '../../proto/ipv4.js';
import { MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from '../../proto/objects/discovery.js';
import type { EndpointSlice } from '../../proto/objects/discovery.js';
import type { Service } from '../../proto/objects/service.js';
import { DEFAULT_NAMESPACE, RESOURCE } from '../../proto/resources.js';
import { AlreadyExistsError, NotFoundError } from '../errors.js';
import { newIdentity } from '../objects/identity.js';
import { deepEqual } from '../objects/json.js';
import type { StoreLease } from '../store/leases.js';
import type { ObjectStore } from '../store/object-store.js';
import type { ObjectService } from './object-service.js';

/** The name of the Service (and EndpointSlice) that points pods at the control plane. */
export const KUBERNETES_SERVICE = 'kubernetes';
/** Who keeps the `kubernetes` EndpointSlice: every control-plane replica, not the endpoints controller. */
export const CONTROL_PLANE_MANAGER = 'control-plane.berth.dev';
/** One key per serving replica, `<ip>:<port>`, bound to that replica's lease. */
const REPLICA_PREFIX = '/berth-internal/controlplanes/';

/** ControlPlaneEndpoint is where this replica serves its APIs, as pods should reach it. */
export interface ControlPlaneEndpoint {
  ip: string;
  port: number;
}

/** KubernetesServiceOptions: how often a replica looks again, and how long a silent replica stays listed. */
export interface KubernetesServiceOptions {
  resyncMs?: number;
  ttlSeconds?: number;
}

/**
 * KubernetesService keeps the `kubernetes` Service in `default` (the first address of the
 * service range, port 443 → the control plane's port) and its EndpointSlice, which lists every
 * replica that is serving, as Kubernetes' lease endpoint reconciler does: each replica holds a
 * key under its own etcd lease, and each replica, at start and every resyncMs, makes sure the
 * Service exists and rewrites the slice (only when it differs) from the keys that are left. A
 * replica that stops removes its key at once; one that dies drops out when its lease expires.
 *
 * Lifecycle: start() (idempotent across replicas: every one may create, and the first wins),
 * then stop().
 */
export class KubernetesService {
  private lease: StoreLease | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly api: ObjectService,
    private readonly endpoint: ControlPlaneEndpoint,
    private readonly logger: Logger,
    private readonly options: KubernetesServiceOptions = {},
  ) {}

  async start(): Promise<void> {
    const lease = this.store.lease(this.options.ttlSeconds ?? 15, { keepAlive: true });
    this.lease = lease;
    const leaseId = await lease.grant();
    const member = `${this.endpoint.ip}:${this.endpoint.port}`;
    await this.store.transact({ guards: [], writes: [{ key: REPLICA_PREFIX + member, put: member, leaseId }] });
    await this.sync();
    this.timer = setInterval(() => {
      this.sync().catch((err: unknown) => this.logger.warn('could not update the kubernetes Service', { error: err instanceof Error ? err.message : String(err) }));
    }, this.options.resyncMs ?? 10_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const lease = this.lease;
    this.lease = undefined;
    if (!lease) return;
    await lease.revoke();
    await this.sync().catch(() => undefined);
  }

  /** sync makes sure the Service exists and its slice lists exactly the serving replicas. */
  async sync(): Promise<void> {
    const service = (await this.store.tryGet(RESOURCE.services, DEFAULT_NAMESPACE, KUBERNETES_SERVICE)) as Service | undefined;
    const port = typeof service?.spec.ports?.[0]?.targetPort === 'number' ? service.spec.ports[0].targetPort : undefined;
    if (!service) await this.createService();
    const members = (await this.store.keys.listKeys(REPLICA_PREFIX)).map((k) => k.slice(REPLICA_PREFIX.length));
    await this.writeSlice(members, port ?? this.endpoint.port);
  }

  private async createService(): Promise<void> {
    const range = this.api.serviceIpRange;
    const first = await this.api.apply([{ source: 'control plane', index: 1, object: kubernetesService(range, this.endpoint.port, true) }], { dryRun: false });
    if (first.errors.length === 0) return;
    // The first address was taken while the Service was gone: any free one will do.
    this.logger.warn('the first service address is taken; the kubernetes Service gets another', { address: formatIpv4(range.base + 1), error: first.errors[0]?.message });
    const second = await this.api.apply([{ source: 'control plane', index: 1, object: kubernetesService(range, this.endpoint.port, false) }], { dryRun: false });
    if (second.errors.length > 0) throw new Error(`cannot create the kubernetes Service: ${second.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }

  /** writeSlice lists the replicas that serve on the Service's target port (replicas on other ports cannot be reached through it). */
  private async writeSlice(members: string[], port: number): Promise<void> {
    const addresses = members
      .map((m) => /^(.*):(\d+)$/.exec(m))
      .filter((m): m is RegExpExecArray => m !== null && Number(m[2]) === port)
      .map((m) => m[1] as string)
      .sort();
    const desired = kubernetesSlice(addresses, port);
    const info = RESOURCE.endpointslices;
    try {
      await this.store.guaranteedUpdate(info, DEFAULT_NAMESPACE, KUBERNETES_SERVICE, (current) => {
        const slice = current as EndpointSlice;
        if (deepEqual([slice.endpoints, slice.ports, slice.metadata.labels], [desired.endpoints, desired.ports, desired.metadata.labels])) return undefined;
        return { ...slice, metadata: { ...slice.metadata, labels: desired.metadata.labels }, endpoints: desired.endpoints, ports: desired.ports } as EndpointSlice;
      });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      await this.store.create(info, { ...desired, metadata: { ...desired.metadata, ...newIdentity() } }).catch((e: unknown) => {
        // Another replica created it meanwhile; its next sync (or ours) settles the contents.
        if (!(e instanceof AlreadyExistsError)) throw e;
      });
    }
  }
}

/**
 * advertisedIp is the address pods are given for a replica listening on `host`: the host itself
 * when it is an IPv4 address, else (a wildcard or a name) the machine's first non-loopback IPv4
 * address, else loopback.
 */
export function advertisedIp(host: string): string {
  if (parseIpv4(host) !== undefined && host !== '0.0.0.0') return host;
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
  return external?.address ?? '127.0.0.1';
}

/** kubernetesService is the manifest of the `kubernetes` Service, with or without its fixed address. */
function kubernetesService(range: Ipv4Range, port: number, firstAddress: boolean): Service {
  const ip = formatIpv4(range.base + 1);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: KUBERNETES_SERVICE, namespace: DEFAULT_NAMESPACE, labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', ...(firstAddress ? { clusterIP: ip } : {}), ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }], sessionAffinity: 'None' },
  };
}

function kubernetesSlice(addresses: string[], port: number): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: KUBERNETES_SERVICE, namespace: DEFAULT_NAMESPACE, labels: { [SERVICE_NAME_LABEL]: KUBERNETES_SERVICE, [MANAGED_BY_LABEL]: CONTROL_PLANE_MANAGER } },
    addressType: 'IPv4',
    endpoints: addresses.map((ip) => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } })),
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  };
}
