import type { Logger } from 'winston';
import type { BerthObject } from '../../proto/objects/meta.js';
import { matches } from '../../proto/labels.js';
import { DEFAULT_NAMESPACE, RESOURCES, resourceByName } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { INT32_MAX, validateObject } from '../../proto/validation/index.js';
import { parseIpv4Cidr } from '../../proto/ipv4.js';
import type { Ipv4Range } from '../../proto/ipv4.js';
import { ConflictError, InvalidError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import { DEFAULT_SERVICE_CIDR } from './service-allocation.js';
import { ApplyService } from './apply-service.js';
import type { ApplyDocument, ApplyOutcome } from './apply-service.js';

export type { ApplyDocument, ApplyOutcome, DocumentProblem } from './apply-service.js';
import { ServiceAllocator } from './service-allocator.js';
import { patchObject } from './patch.js';
import { patchService } from './service-patch.js';
import { deleteOne } from './object-deletion.js';
import type { DeleteOptions } from './object-deletion.js';
import { labelSelector, selectedWatch } from './selected-watch.js';
import type { ObjectWatch } from './selected-watch.js';

/** ObjectServiceOptions are the API's flags. */
export interface ObjectServiceOptions {
  /** --service-cluster-ip-range (default 10.96.0.0/16). */
  serviceIpRange?: Ipv4Range;
}

/**
 * ObjectService is the ClusterAPI's logic, free of gRPC: validate, default, store, list and
 * watch with label selectors. It throws the domain errors of ../errors.ts; the gRPC edge
 * (grpc/errors.ts) maps them to status codes.
 */
export class ObjectService {
  private readonly services: ServiceAllocator;

  private readonly applier: ApplyService;

  constructor(private readonly store: ObjectStore, private readonly logger: Logger, options: ObjectServiceOptions = {}) {
    this.services = new ServiceAllocator(store, options.serviceIpRange ?? (parseIpv4Cidr(DEFAULT_SERVICE_CIDR) as Ipv4Range));
    this.applier = new ApplyService(store, this.services, logger);
  }

  /** The service CIDR ClusterIPs come from. */
  get serviceIpRange(): Ipv4Range {
    return this.services.range;
  }

  /**
   * compileSchemas validates a stub of every kind once, so the schema compilation (hundreds of
   * ms of CPU) happens at start rather than in the first apply of each kind.
   */
  compileSchemas(): void {
    for (const info of RESOURCES) validateObject({ apiVersion: info.apiVersion, kind: info.kind, metadata: { name: 'schema-warm-up' } });
  }

  /** apply creates or updates every document, all or nothing (see ApplyService). */
  apply(documents: ApplyDocument[], options: { dryRun: boolean }): Promise<ApplyOutcome> {
    return this.applier.apply(documents, options);
  }

  get(resource: string, namespace: string, name: string): Promise<BerthObject> {
    const info = this.resource(resource);
    return this.store.get(info, this.namespaceFor(info, namespace), name);
  }

  /**
   * list reads one namespace ('' means `default`), or every namespace when `namespace` is
   * undefined, keeping the objects that match the label selector (its text, as kubectl's -l).
   */
  async list(resource: string, namespace: string | undefined, selectorText = ''): Promise<{ items: BerthObject[]; revision: string }> {
    const info = this.resource(resource);
    const selector = labelSelector(selectorText);
    const { items, revision } = await this.store.list(info, namespace === undefined ? undefined : this.namespaceFor(info, namespace));
    return { items: items.filter((o) => matches(selector, o.metadata.labels)), revision };
  }

  /**
   * delete deletes one object (see deleteOne): a pod bound to a node gracefully, unless `force`;
   * a Namespace takes every object in it along, a Node its pod CIDR.
   */
  async delete(resource: string, namespace: string, name: string, options: DeleteOptions = {}): Promise<BerthObject> {
    const info = this.resource(resource);
    const deleted = await deleteOne(this.store, info, this.namespaceFor(info, namespace), name, options);
    const terminating = info.kind === 'Pod' && deleted.metadata.deletionTimestamp !== undefined;
    this.logger.info(terminating ? `${info.kind} terminating` : `${info.kind} deleted`, { namespace: deleted.metadata.namespace, name });
    return deleted;
  }

  /** scale sets spec.replicas of a Deployment or ReplicaSet; with a precondition, only at that revision. */
  async scale(resource: string, namespace: string, name: string, replicas: number, precondition?: string): Promise<BerthObject> {
    const info = this.resource(resource);
    if (info.kind !== 'Deployment' && info.kind !== 'ReplicaSet') throw new InvalidError(`${info.resource} cannot be scaled: only deployments and replicasets have replicas`);
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > INT32_MAX) throw new InvalidError(`replicas must be a whole number from 0 to ${INT32_MAX}, not ${replicas}`);
    const { object } = await this.store.guaranteedUpdate(info, this.namespaceFor(info, namespace), name, (current) => {
      if (precondition && current.metadata.resourceVersion !== precondition) throw new ConflictError(info.resource, name);
      const spec = current.spec as { replicas?: number };
      if (spec.replicas === replicas) return undefined;
      spec.replicas = replicas;
      current.metadata.generation = (current.metadata.generation ?? 0) + 1;
      return current;
    });
    this.logger.info(`${info.kind} scaled`, { namespace: object.metadata.namespace, name, replicas });
    return object;
  }

  /** patch applies a JSON merge patch to one object (api/patch.ts); with a precondition, only at that revision. */
  async patch(resource: string, namespace: string, name: string, patchJson: string, precondition?: string): Promise<BerthObject> {
    const info = this.resource(resource);
    const ns = this.namespaceFor(info, namespace);
    // A Service's patch may change what it holds (a new type's node ports): it is allocated and claimed like an apply.
    const patched = info.kind === 'Service' ? patchService(this.store, this.services, info, ns, name, patchJson, precondition) : patchObject(this.store, info, ns, name, patchJson, precondition);
    const { object, changed } = await patched;
    if (changed) this.logger.info(`${info.kind} patched`, { namespace: object.metadata.namespace, name, resourceVersion: object.metadata.resourceVersion });
    return object;
  }

  /**
   * watch streams the changes a client with this label selector sees (see selectedChange), in
   * one namespace ('' means `default`) or all (undefined); without `fromRevision` it starts with
   * every current object as ADDED, as `kubectl get -w` does. The caller closes it. A bad
   * selector or resource throws before anything is watched.
   */
  watch(resource: string, namespace: string | undefined, fromRevision: string | undefined, selectorText = ''): ObjectWatch {
    const info = this.resource(resource);
    const selector = labelSelector(selectorText);
    const watch = this.store.watch(info, namespace === undefined ? undefined : this.namespaceFor(info, namespace), {
      ...(fromRevision ? { fromRevision } : {}),
      onRecover: (what) => this.logger.warn(what),
    });
    return selectedWatch(watch, selector);
  }

  /** ensureNamespace creates a namespace if it is missing (the control plane's `default`). */
  async ensureNamespace(name: string): Promise<void> {
    await this.apply([{ source: 'bootstrap', index: 1, object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } }], { dryRun: false });
  }

  private resource(resource: string): ResourceInfo {
    const info = resourceByName(resource);
    if (!info) throw new InvalidError(`the server doesn't have a resource type "${resource}"`);
    return info;
  }

  private namespaceFor(info: ResourceInfo, namespace: string): string | undefined {
    return info.namespaced ? namespace || DEFAULT_NAMESPACE : undefined;
  }
}
