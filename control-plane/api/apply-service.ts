import type { Logger } from 'winston';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { Secret } from '../../proto/objects/config.js';
import type { Service } from '../../proto/objects/service.js';
import { RESOURCE, DEFAULT_NAMESPACE, objectKey, resourceForKind } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { validateObject } from '../../proto/validation/index.js';
import type { ObjectProblem } from '../../proto/validation/index.js';
import { ConflictError } from '../errors.js';
import { newIdentity } from '../objects/identity.js';
import { mergeStringData } from '../objects/secret-string-data.js';
import { commitAtomically } from '../store/atomic-commit.js';
import { withRevision } from '../store/codec.js';
import { CreateBatcher } from '../store/create-batcher.js';
import { MAX_TXN_OPS } from '../store/guarded-change.js';
import type { ObjectStore } from '../store/object-store.js';
import { applyWrite } from './apply-commit.js';
import { planApply, userIntent } from './apply-plan.js';
import type { ApplyAction, ApplyPlan } from './apply-plan.js';
import { isAllocated } from './service-allocation.js';
import type { UsedClaims } from './service-allocation.js';
import type { ServiceAllocator } from './service-allocator.js';

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

/** ApplyOutcome is what an apply did: a result per document, or the errors (and then nothing was written). */
export interface ApplyOutcome {
  results: { info: ResourceInfo; object: BerthObject; action: ApplyAction }[];
  errors: DocumentProblem[];
  warnings: DocumentProblem[];
}

const MAX_APPLY_ATTEMPTS = 20;

/** AcceptedDocument is a document that passed validation, as the user's intent for its object. */
interface AcceptedDocument {
  doc: ApplyDocument;
  info: ResourceInfo;
  intent: BerthObject;
  subject: string;
  /** The object's etcd key: documents of one object share it. */
  key: string;
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
 * ApplyService is ClusterAPI.Apply's logic (kubectl apply semantics): every document of a file
 * is validated and planned before anything is written, and the writes are all or nothing.
 */
export class ApplyService {
  private readonly createBatcher: CreateBatcher;

  constructor(private readonly store: ObjectStore, private readonly services: ServiceAllocator, private readonly logger: Logger) {
    this.createBatcher = new CreateBatcher(store);
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
      accepted.push({ doc, info, intent, subject, key: objectKey(info, intent.metadata.namespace, intent.metadata.name) });
    }
    if (errors.length > 0) return { results: [], errors, warnings };
    // All written at once, an object's documents cannot each build on the one before, as they
    // would applied one by one: the last is applied (as kubectl's would win), the earlier ones
    // are reported with its result.
    const lastOf = new Map(accepted.map((a, i) => [a.key, i]));
    const applied = accepted.filter((a, i) => lastOf.get(a.key) === i);
    const everyDocument = (results: ApplyOutcome['results']): ApplyOutcome['results'] => {
      const byKey = new Map(applied.map((a, j) => [a.key, results[j] as ApplyOutcome['results'][number]]));
      return accepted.map((a) => byKey.get(a.key) as ApplyOutcome['results'][number]);
    };

    if (!options.dryRun) {
      const created = await this.tryCreateAll(applied);
      if (created) return { results: everyDocument(created), errors, warnings };
    }
    for (let attempt = 0; attempt < MAX_APPLY_ATTEMPTS; attempt++) {
      const planned = await this.planAll(applied);
      if (planned.errors.length > 0) return { results: [], errors: planned.errors, warnings };
      if (options.dryRun) return { results: everyDocument(applied.map((a, i) => resultOf(a, planned.plans[i] as ApplyPlan))), errors, warnings };
      const results = await this.commitPlanned(applied, planned);
      if (results) return { results: everyDocument(results), errors, warnings };
    }
    throw new ConflictError('objects', applied.map((a) => a.subject).join(', '), `still conflicting after ${MAX_APPLY_ATTEMPTS} attempts`);
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
