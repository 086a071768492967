import type { EnvVar, Pod } from '../../proto/objects/pod.js';
import type { PodResolvFiles } from '../dns/pod-resolv.js';
import type { BindMount } from '../runtime/index.js';
import type { ServiceCache } from '../services/service-cache.js';
import { serviceEnvironment } from '../services/service-env.js';

/** Extras is what a container gets besides its spec. */
export interface Extras {
  mounts: BindMount[];
  /** Variables to put BEFORE the spec's own, so the spec's win and may refer to them. */
  env: EnvVar[];
  /** Things the pod asked for that the node cannot give, for a Warning event. */
  warnings: Array<{ reason: string; message: string }>;
}

/**
 * ContainerExtras is used by pod workers, just before a container is created (the pod's network
 * is set up by then), for what service discovery gives every container: its /etc/resolv.conf and
 * the Service environment variables of the Services existing at that moment, as Kubernetes does.
 */
export interface ContainerExtras {
  forContainer(pod: Pod): Promise<Extras>;
}

/** How long a container start waits for the first listing of Services. */
const SERVICES_SYNC_WAIT_MS = 2_000;

/**
 * ServiceDiscoveryExtras is the agent's ContainerExtras: resolv.conf from PodResolvFiles, the
 * variables from the ServiceCache. A container start waits (briefly) for the first listing of
 * Services. The kubelet refuses to start containers until then; here a container restarted
 * while the control plane is unreachable still starts (static stability), with the variables of
 * the Services last known (the agent keeps them across its restarts), and a Warning event says so.
 * `beforeStart` runs first (the agent makes sure its DNS server listens: its address, on the pod
 * bridge, may have just appeared with the pod's network).
 */
export class ServiceDiscoveryExtras implements ContainerExtras {
  constructor(
    private readonly resolv: PodResolvFiles,
    private readonly services: ServiceCache,
    private readonly beforeStart: () => Promise<unknown> = async () => undefined,
  ) {}

  async forContainer(pod: Pod): Promise<Extras> {
    const namespace = pod.metadata.namespace ?? 'default';
    const synced = await this.services.whenSynced(SERVICES_SYNC_WAIT_MS);
    const [resolv] = await Promise.all([this.resolv.forPod(namespace, pod.spec), this.beforeStart()]);
    const warnings: Extras['warnings'] = [];
    if (resolv.warning) warnings.push({ reason: 'MissingClusterDNS', message: resolv.warning });
    if (!synced) warnings.push({ reason: 'ServicesNotListed', message: 'the Services could not be listed from the control plane: the container gets the Service environment variables last known to this node' });
    return {
      mounts: [{ hostPath: resolv.hostPath, containerPath: '/etc/resolv.conf', readOnly: true }],
      env: serviceEnvironment(namespace, pod.spec.enableServiceLinks, (ns) => this.services.servicesIn(ns)),
      warnings,
    };
  }
}
