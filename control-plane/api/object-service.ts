import type { Logger } from 'winston';
import type { BerthObject } from '../../proto/objects/meta.js';
import { matches } from '../../proto/labels.js';
import { RESOURCE, DEFAULT_NAMESPACE, RESOURCES, objectKey, resourceByName, resourceForKind } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { INT32_MAX, validateObject } from '../../proto/validation/index.js';
import type { ObjectProblem } from '../../proto/validation/index.js';
import { parseIpv4Cidr } from '../../proto/ipv4.js';
import type { Ipv4Range } from '../../proto/ipv4.js';
import type { Service } from '../../proto/objects/service.js';
import { ConflictError, InvalidError } from '../errors.js';
import { withRevision } from '../store/codec.js';
import { CreateBatcher } from '../store/create-batcher.js';
import { MAX_TXN_OPS } from '../store/guarded-change.js';
import { commitAtomically } from '../store/atomic-commit.js';
import { applyWrite } from './apply-commit.js';
import type { ObjectStore } from '../store/object-store.js';
import { DEFAULT_SERVICE_CIDR, isAllocated } from './service-allocation.js';
import type { UsedClaims } from './service-allocation.js';
import { ServiceAllocator } from './service-allocator.js';
import { planApply, userIntent } from './apply-plan.js';
import { patchObject } from './patch.js';
import { patchService } from './service-patch.js';
import type { ApplyAction, ApplyPlan } from './apply-plan.js';
import { deleteOne } from './object-deletion.js';
import type { DeleteOptions } from './object-deletion.js';
import { labelSelector, selectedWatch } from './selected-watch.js';
import type { ObjectWatch } from './selected-watch.js';
import { newIdentity } from '../objects/identity.js';
import type { Secret } from '../../proto/objects/config.js';
import { mergeStringData } from '../objects/secret-string-data.js';

/** ApplyDocument is one parsed manifest document and where it came from. */
export interface ApplyDocument {
  source: string;
  index: number;
  object: unknown;
}

/** DocumentProblem is an ObjectProblem located in a file and document. */
export interface DocumentProblem extends ObjectProblem {
  source: string;
  index: number;
  /** Kind/name, when the document got far enough to have them. */
  subject: string;
}

export interface ApplyOutcome {
  results: { info: ResourceInfo; object: BerthObject; action: ApplyAction }[];
  errors: DocumentProblem[];
  warnings: DocumentProblem[];
}

/** ObjectServiceOptions are the API's flags. */
export interface ObjectServiceOptions {
  /** --service-cluster-ip-range (default 10.96.0.0/16). */
  serviceIpRange?: Ipv4Range;
}

const MAX_APPLY_ATTEMPTS = 20;

/** AcceptedDocument is a document that passed validation, as the user's intent for its object. */
interface AcceptedDocument {
  doc: ApplyDocument;
  info: ResourceInfo;
  intent: BerthObject;
  subject: string;
}

/** PlannedApply is every accepted document planned against what was live, index for index. */
interface PlannedApply {
  plans: ApplyPlan[];
  live: (BerthObject | undefined)[];
  /** The namespace each object needs that the apply does not create itself. */
  mustExist: (string | undefined)[];
  errors: DocumentProblem[];
}
/** Documents per fast-path create transaction (keys plus namespaces stay under etcd's 128 operations). */
const MAX_FAST_PATH_DOCUMENTS = 60;

/**
 * ObjectService is the ClusterAPI's logic, free of gRPC: validate, default, store, list and
 * watch with label selectors. It throws the domain errors of ../errors.ts; the gRPC edge
 * (grpc/errors.ts) maps them to status codes.
 */
export class ObjectService {
  private readonly createBatcher: CreateBatcher;

  private readonly services: ServiceAllocator;

  constructor(private readonly store: ObjectStore, private readonly logger: Logger, options: ObjectServiceOptions = {}) {
    this.createBatcher = new CreateBatcher(store);
    this.services = new ServiceAllocator(store, options.serviceIpRange ?? (parseIpv4Cidr(DEFAULT_SERVICE_CIDR) as Ipv4Range));
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

  /**
   * apply validates every document, and plans each against the live object, before it writes
   * anything: one invalid document means nothing is written. The writes are then committed all
   * or nothing (commitAtomically), each guarded on the revision it was planned from; on a
   * conflict every document is planned again from what is there now.
   */
  async apply(documents: ApplyDocument[], options: { dryRun: boolean }): Promise<ApplyOutcome> {
    const errors: DocumentProblem[] = [];
    const warnings: DocumentProblem[] = [];
    const accepted: AcceptedDocument[] = [];
    const seen = new Map<string, ApplyDocument>();
    for (const doc of documents) {
      const subject = subjectOf(doc.object);
      const at = (p: ObjectProblem): DocumentProblem => ({ ...p, source: doc.source, index: doc.index, subject });
      const result = validateObject(doc.object);
      warnings.push(...result.warnings.map(at));
      errors.push(...result.errors.map(at));
      if (result.errors.length > 0) continue;
      const object = doc.object as BerthObject;
      const info = resourceForKind(object.apiVersion, object.kind);
      // The validator refuses unknown kinds; this keeps the two from drifting apart silently.
      if (!info) throw new Error(`validated ${object.apiVersion}/${object.kind} has no resource`);
      const intent = userIntent(object);
      if (info.kind === 'Secret') mergeStringData(intent as Secret);
      if (info.namespaced) intent.metadata.namespace ??= DEFAULT_NAMESPACE;
      else delete intent.metadata.namespace;
      // Written all at once, two documents of one object would each be planned over what was there before.
      const key = objectKey(info, intent.metadata.namespace, intent.metadata.name);
      const first = seen.get(key);
      if (first) errors.push(at({ path: 'metadata.name', message: `Duplicate value: ${subject} is also document ${first.index} of ${first.source}: apply each object once` }));
      seen.set(key, doc);
      accepted.push({ doc, info, intent, subject });
    }
    if (errors.length === 0 && !options.dryRun) {
      const created = await this.tryCreateAll(accepted);
      if (created) return { results: created, errors, warnings };
    }
    if (errors.length > 0) return { results: [], errors, warnings };

    for (let attempt = 0; attempt < MAX_APPLY_ATTEMPTS; attempt++) {
      const planned = await this.planAll(accepted);
      if (planned.errors.length > 0) return { results: [], errors: planned.errors, warnings };
      if (options.dryRun) return { results: accepted.map((a, i) => resultOf(a, planned.plans[i] as ApplyPlan)), errors, warnings };
      const results = await this.commitPlanned(accepted, planned);
      if (results) return { results, errors, warnings };
    }
    throw new ConflictError('objects', accepted.map((a) => a.subject).join(', '), `still conflicting after ${MAX_APPLY_ATTEMPTS} attempts`);
  }

  /** planAll reads every live object and namespace the documents need (in one transaction per 128) and plans each document. */
  private async planAll(accepted: AcceptedDocument[]): Promise<PlannedApply> {
    const errors: DocumentProblem[] = [];
    const namespaces = RESOURCE.namespaces;
    const declared = new Set(accepted.filter((a) => a.info.kind === 'Namespace').map((a) => a.intent.metadata.name));
    const neededNamespaces = [...new Set(accepted.map((a) => a.intent.metadata.namespace).filter((ns): ns is string => !!ns && !declared.has(ns)))];
    const reads = await this.store.getMany([
      ...accepted.map((a) => ({ info: a.info, namespace: a.intent.metadata.namespace, name: a.intent.metadata.name })),
      ...neededNamespaces.map((name) => ({ info: namespaces, namespace: undefined, name })),
    ]);
    const existingNamespaces = new Set(neededNamespaces.filter((_, i) => reads[accepted.length + i] !== undefined));

    const plans: ApplyPlan[] = [];
    const mustExist: (string | undefined)[] = [];
    let used: UsedClaims | undefined;
    for (const [i, { doc, info, intent, subject }] of accepted.entries()) {
      const ns = info.namespaced ? intent.metadata.namespace : undefined;
      if (ns && !declared.has(ns) && !existingNamespaces.has(ns)) {
        errors.push({ source: doc.source, index: doc.index, subject, path: 'metadata.namespace', message: `namespace "${ns}" not found: create it first (kind: Namespace)` });
      }
      mustExist.push(ns && !declared.has(ns) ? ns : undefined);
      let plan = planApply(info, intent, reads[i], newIdentity());
      // A Service found unchanged and fully allocated needs no look at the claims.
      if (info.kind === 'Service' && (plan.kind !== 'unchanged' || !isAllocated(plan.object as Service))) {
        used ??= await this.services.readUsed();
        plan = this.services.plan(plan, reads[i] as Service | undefined, used);
      }
      if (plan.kind === 'invalid') errors.push(...plan.errors.map((p) => ({ ...p, source: doc.source, index: doc.index, subject })));
      plans.push(plan);
    }
    return { plans, live: reads.slice(0, accepted.length), mustExist, errors };
  }

  /** commitPlanned writes every planned change, all or nothing; undefined means a conflict (nothing written): plan again. */
  private async commitPlanned(accepted: AcceptedDocument[], planned: PlannedApply): Promise<ApplyOutcome['results'] | undefined> {
    const writing = planned.plans.flatMap((plan, i) => (plan.kind === 'write' ? [i] : []));
    const writes = writing.map((i) => {
      const { info } = accepted[i] as AcceptedDocument;
      return applyWrite(info, planned.plans[i] as ApplyPlan & { kind: 'write' }, planned.live[i], planned.mustExist[i]);
    });
    const outcome = await commitAtomically((change) => this.store.transact(change), writes);
    if (outcome.kind === 'conflict') return undefined;
    if (outcome.kind === 'error') {
      if (outcome.leftBehind.length === 0) throw outcome.error;
      const left = outcome.leftBehind.map((j) => (accepted[writing[j] as number] as AcceptedDocument).subject);
      this.logger.error('apply failed part-way and could not undo all of it', { leftBehind: left, error: outcome.error });
      throw new Error(`apply failed part-way (${String(outcome.error)}) and could not take back ${left.join(', ')}: they were changed meanwhile; check them and apply again`);
    }
    const revisions = new Map(writing.map((i, j) => [i, outcome.revisions[j] as string]));
    return accepted.map((a, i) => {
      const revision = revisions.get(i);
      const plan = planned.plans[i] as ApplyPlan;
      if (revision === undefined || plan.kind !== 'write') return resultOf(a, plan);
      const object = withRevision(plan.object, revision);
      // Per-object lines are debug: controllers write many objects. The check skips building the entry.
      if (this.logger.isDebugEnabled()) this.logger.debug(`${a.info.kind} ${plan.action}`, { namespace: object.metadata.namespace, name: object.metadata.name, resourceVersion: object.metadata.resourceVersion });
      return { info: a.info, object, action: plan.action };
    });
  }

  /**
   * tryCreateAll is the fast path for documents that are all new: one transaction that creates
   * them all if none exists yet and their namespaces do (a create depends on nothing else that
   * is live). Undefined means some condition failed and nothing was written: take the full path.
   */
  private async tryCreateAll(accepted: { info: ResourceInfo; intent: BerthObject }[]): Promise<ApplyOutcome['results'] | undefined> {
    if (accepted.length === 0 || accepted.length > MAX_FAST_PATH_DOCUMENTS) return undefined;
    const namespaces = RESOURCE.namespaces;
    const declared = new Set(accepted.filter((a) => a.info.kind === 'Namespace').map((a) => a.intent.metadata.name));
    const mustExist = [...new Set(accepted.map((a) => a.intent.metadata.namespace).filter((ns): ns is string => !!ns && !declared.has(ns)))].map((ns) => objectKey(namespaces, undefined, ns));
    const items: { info: ResourceInfo; object: BerthObject }[] = [];
    for (const { info, intent } of accepted) {
      const plan = planApply(info, intent, undefined, newIdentity());
      // An object refused as planned (too large as stored): the full path names the problem.
      if (plan.kind !== 'write') return undefined;
      items.push({ info, object: plan.object });
    }
    const keys = new Set(items.map(({ info, object }) => objectKey(info, object.metadata.namespace, object.metadata.name)));
    if (keys.size !== items.length) return undefined;
    const claims = await this.services.allocateNew(items);
    // A requested address or port that cannot be had: the full path names it.
    if (!claims) return undefined;
    // Claims make the transaction larger: beyond etcd's limit, the full path writes one object at a time.
    const writes = items.length + claims.reduce((n, c) => n + c.writes.length, 0);
    if (writes + mustExist.length > MAX_TXN_OPS) return undefined;
    const stored = await this.createBatcher.createAll(items, mustExist, claims);
    if (!stored) return undefined;
    return stored.map((object, i) => ({ info: (items[i] as { info: ResourceInfo }).info, object, action: 'created' as const }));
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


function resultOf(a: AcceptedDocument, plan: ApplyPlan): ApplyOutcome['results'][number] {
  return { info: a.info, object: plan.kind === 'invalid' ? a.intent : plan.object, action: plan.kind === 'write' ? plan.action : 'unchanged' };
}

function subjectOf(object: unknown): string {
  const o = object as { kind?: unknown; metadata?: { name?: unknown } } | null;
  const kind = typeof o?.kind === 'string' ? o.kind : '';
  const name = typeof o?.metadata?.name === 'string' ? o.metadata.name : '';
  return kind && name ? `${kind}/${name}` : kind;
}

