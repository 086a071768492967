import { SERVICE_NAME_LABEL, type EndpointSlice } from '../../proto/objects/discovery.js';
import type { Service } from '../../proto/objects/service.js';

/** ServiceKey names one Service: `<namespace>/<name>`. */
export type ServiceKey = string;

/** ServiceState is what the node knows of one Service: the object (absent once deleted, or before it arrives) and its slices. */
export interface ServiceState {
  key: ServiceKey;
  namespace: string;
  name: string;
  service: Service | undefined;
  /** The EndpointSlices labelled with the Service's name, in name order. */
  slices: EndpointSlice[];
}

/** ServiceChangeListener hears of every Service whose object or slices changed; it must be quick and must not throw. */
export type ServiceChangeListener = (key: ServiceKey) => void;

/** The objects the cache holds, as WatchServices sends them. */
export type ServiceObject = Service | EndpointSlice;

const keyOf = (namespace: string, name: string): ServiceKey => `${namespace}/${name}`;
/** objectIdOf is how listed() names an object: kind, namespace and name. */
export const objectIdOf = (o: ServiceObject): string => `${o.kind}/${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;

/**
 * ServiceCache is used by the node's service proxy, DNS server and container environment: an
 * in-memory copy of every Service and EndpointSlice, indexed by Service, fed by
 * NodeAPI.WatchServices. Every change calls the listeners with the Service it touches (a slice
 * touches the Service named by its `kubernetes.io/service-name` label).
 *
 * Lifecycle: upsert/remove as events arrive; listed() after each complete listing (the stream's
 * BOOKMARK) removes what the listing lacked and marks the cache synced. Readers that must not act
 * on a partial listing (the proxy's restart reconcile, service environment variables) wait for
 * `synced`.
 */
export class ServiceCache {
  private readonly services = new Map<ServiceKey, Service>();
  private readonly byNamespace = new Map<string, Map<string, Service>>();
  /** Slices by the Service they belong to, then by slice name. */
  private readonly slices = new Map<ServiceKey, Map<string, EndpointSlice>>();
  /** The Service each slice was filed under (its label can change). */
  private readonly sliceOwner = new Map<string, ServiceKey>();
  private readonly listeners = new Set<ServiceChangeListener>();
  private readonly syncWaiters = new Set<() => void>();
  private isSynced = false;
  /**
   * The resourceVersion of the last WatchServices event the cache's content includes (set by its
   * feed after each event): a change listener reads the one before the event that changed it.
   */
  revision: string | undefined;

  /** True once a complete listing has arrived. */
  get synced(): boolean {
    return this.isSynced;
  }

  onChange(listener: ServiceChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** whenSynced resolves true once synced, or false when `timeoutMs` (if given) passes first. */
  whenSynced(timeoutMs?: number): Promise<boolean> {
    if (this.isSynced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.syncWaiters.delete(done);
        resolve(this.isSynced);
      };
      const timer = timeoutMs === undefined ? undefined : setTimeout(done, timeoutMs);
      this.syncWaiters.add(done);
    });
  }

  upsert(object: ServiceObject): void {
    if (object.kind === 'Service') return this.putService(object);
    if (object.kind === 'EndpointSlice') return this.putSlice(object);
  }

  remove(object: ServiceObject): void {
    const namespace = object.metadata.namespace ?? 'default';
    if (object.kind === 'Service') {
      const key = keyOf(namespace, object.metadata.name);
      if (!this.services.delete(key)) return;
      this.byNamespace.get(namespace)?.delete(object.metadata.name);
      return this.emit(key);
    }
    if (object.kind === 'EndpointSlice') {
      const id = objectIdOf(object);
      const owner = this.sliceOwner.get(id);
      if (owner === undefined) return;
      this.sliceOwner.delete(id);
      this.slices.get(owner)?.delete(object.metadata.name);
      this.emit(owner);
    }
  }

  /** listed ends a complete listing: objects it did not contain (ids from objectIdOf) are removed; the cache is synced. */
  listed(seen: ReadonlySet<string>): void {
    for (const service of [...this.services.values()]) if (!seen.has(objectIdOf(service))) this.remove(service);
    for (const sliceMap of [...this.slices.values()]) for (const slice of [...sliceMap.values()]) if (!seen.has(objectIdOf(slice))) this.remove(slice);
    this.isSynced = true;
    for (const wake of [...this.syncWaiters]) wake();
  }

  get(key: ServiceKey): ServiceState {
    const slash = key.indexOf('/');
    const slices = this.slices.get(key);
    return {
      key,
      namespace: key.slice(0, slash),
      name: key.slice(slash + 1),
      service: this.services.get(key),
      slices: slices ? [...slices.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)) : [],
    };
  }

  /** Every Service key with an object or slices. */
  keys(): ServiceKey[] {
    return [...new Set([...this.services.keys(), ...this.slices.keys()])];
  }

  /** The Services of one namespace. */
  servicesIn(namespace: string): Service[] {
    return [...(this.byNamespace.get(namespace)?.values() ?? [])];
  }

  private putService(service: Service): void {
    const namespace = service.metadata.namespace ?? 'default';
    const key = keyOf(namespace, service.metadata.name);
    this.services.set(key, service);
    let names = this.byNamespace.get(namespace);
    if (!names) this.byNamespace.set(namespace, (names = new Map()));
    names.set(service.metadata.name, service);
    this.emit(key);
  }

  private putSlice(slice: EndpointSlice): void {
    const namespace = slice.metadata.namespace ?? 'default';
    const id = objectIdOf(slice);
    const serviceName = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    const before = this.sliceOwner.get(id);
    const owner = serviceName ? keyOf(namespace, serviceName) : undefined;
    if (before !== undefined && before !== owner) {
      this.slices.get(before)?.delete(slice.metadata.name);
      this.sliceOwner.delete(id);
      this.emit(before);
    }
    // A slice without the label belongs to no Service (Kubernetes' proxies ignore it too).
    if (owner === undefined) return;
    let sliceMap = this.slices.get(owner);
    if (!sliceMap) this.slices.set(owner, (sliceMap = new Map()));
    sliceMap.set(slice.metadata.name, slice);
    this.sliceOwner.set(id, owner);
    this.emit(owner);
  }

  private emit(key: ServiceKey): void {
    if (this.slices.get(key)?.size === 0) this.slices.delete(key);
    for (const listener of this.listeners) listener(key);
  }
}
