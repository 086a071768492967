import type { Logger } from 'winston';
import type { Node } from '../../proto/objects/cluster.js';
import { isReady } from '../../proto/objects/conditions.js';
import { parseIpv4 } from '../../proto/ipv4.js';
import type { LoadBalancerIngress, Service } from '../../proto/objects/service.js';
import { RESOURCE } from '../../proto/resources.js';
import { deepEqual } from '../objects/json.js';
import type { ObjectStore } from '../store/object-store.js';
import { cacheKey } from '../watch/object-cache.js';
import type { ObjectCache } from '../watch/object-cache.js';
import { DONE, KeyedMutex, runUntilAborted, updateFromCache } from './controller-util.js';
import { WorkQueue } from './work-queue.js';
import type { ReconcileResult } from './work-queue.js';

/** nodeInternalIp is the address a node's agent reported as its InternalIP. */
export function nodeInternalIp(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

/**
 * loadBalancerIngress is where a LoadBalancer Service is reachable with no cloud to give it an
 * address: every Ready node's InternalIP (each serves its nodePorts), in address order, as k3s's
 * built-in load balancer reports them.
 */
export function loadBalancerIngress(nodes: readonly Node[]): LoadBalancerIngress[] {
  const ips = nodes.filter((n) => isReady(n)).map(nodeInternalIp).filter((ip): ip is string => !!ip);
  return [...new Set(ips)].sort((a, b) => (parseIpv4(a) ?? 0) - (parseIpv4(b) ?? 0)).map((ip) => ({ ip }));
}

/**
 * LoadBalancerController keeps `status.loadBalancer.ingress` of every LoadBalancer Service equal
 * to loadBalancerIngress of the nodes. Keys are Services; a LoadBalancer Service's change enqueues
 * it, and a node that becomes Ready or not, or changes its InternalIP, enqueues every
 * LoadBalancer Service. A status is written only when it differs, guarded on the cached revision.
 * (When a Service stops being a LoadBalancer, the API drops its ingress in the same write.)
 * Lifecycle: construct (registers informer handlers), start(signal) runs until it aborts.
 */
export class LoadBalancerController {
  readonly queue = new WorkQueue('loadbalancer');
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly store: ObjectStore,
    private readonly services: ObjectCache,
    private readonly nodes: ObjectCache,
    private readonly logger: Logger,
    private readonly options: { workers?: number } = {},
  ) {
    services.onChange((type, service) => {
      if (type !== 'DELETED' && (service as Service).spec.type === 'LoadBalancer') this.queue.add(cacheKey(service));
    });
    nodes.onChange((type, node, previous) => {
      const before = previous && type !== 'ADDED' ? fingerprint(previous as Node) : undefined;
      const after = type === 'DELETED' ? undefined : fingerprint(node as Node);
      if (before === after) return;
      for (const service of this.services.list((o) => (o as Service).spec.type === 'LoadBalancer')) this.queue.add(cacheKey(service));
    });
  }

  start(signal: AbortSignal): Promise<void> {
    return runUntilAborted(this.queue, this.options.workers ?? 1, (key) => this.reconcile(key), this.logger, signal);
  }

  /** reconcile brings one Service's ingress up to date (one at a time per key). */
  reconcile(key: string): Promise<ReconcileResult> {
    return this.mutex.run(key, () => this.reconcileOnce(key));
  }

  private async reconcileOnce(key: string): Promise<ReconcileResult> {
    const service = this.services.get(key) as Service | undefined;
    if (service?.spec.type !== 'LoadBalancer') return DONE;
    const ingress = loadBalancerIngress(this.nodes.list() as Node[]);
    if (deepEqual(service.status?.loadBalancer?.ingress ?? [], ingress)) return DONE;
    const result = await updateFromCache(this.store, RESOURCE.services, service, (current) => {
      const cur = current as Service;
      if (cur.metadata.uid !== service.metadata.uid || cur.spec.type !== 'LoadBalancer' || deepEqual(cur.status?.loadBalancer?.ingress ?? [], ingress)) return undefined;
      cur.status = { ...cur.status, loadBalancer: ingress.length > 0 ? { ingress } : {} };
      return cur;
    });
    if (result?.changed) this.logger.info('load balancer ingress updated', { service: key, ingress: ingress.map((i) => i.ip) });
    return DONE;
  }
}

/** fingerprint is what of a node decides the ingress: whether it is Ready, and its address. */
function fingerprint(node: Node): string {
  return `${isReady(node)}/${nodeInternalIp(node) ?? ''}`;
}
