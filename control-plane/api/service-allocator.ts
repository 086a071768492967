import type { Ipv4Range } from '../../proto/ipv4.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import type { Service } from '../../proto/objects/service.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { deepEqual } from '../objects/json.js';
import { NODE_PORT_CLAIM_PREFIX, SERVICE_IP_CLAIM_PREFIX } from '../objects/service-claims.js';
import { takeClaims } from '../store/guarded-change.js';
import type { GuardedChange } from '../store/guarded-change.js';
import type { ObjectStore } from '../store/object-store.js';
import type { ApplyPlan } from './apply-plan.js';
import { allocateService, markAllocated } from './service-allocation.js';
import type { UsedClaims } from './service-allocation.js';

/**
 * ServiceAllocator is used by the API to give Services their ClusterIP and nodePorts while an
 * apply is planned: it reads what is claimed (one etcd range read per prefix) and turns a
 * Service's plan into one that carries its addresses and the claims to take and give up, which
 * the API commits in the Service's own transaction. A claim taken meanwhile by someone else fails
 * that transaction's guard, and the apply plans again.
 */
export class ServiceAllocator {
  constructor(
    private readonly store: ObjectStore,
    /** The service CIDR (--service-cluster-ip-range). */
    readonly range: Ipv4Range,
    private readonly random: () => number = Math.random,
  ) {}

  /** readUsed reads every service-IP and node-port claim with the Service that holds it. */
  async readUsed(): Promise<UsedClaims> {
    const [ips, ports] = await Promise.all([this.store.keys.listValues(SERVICE_IP_CLAIM_PREFIX), this.store.keys.listValues(NODE_PORT_CLAIM_PREFIX)]);
    return {
      ips: new Map([...ips].map(([key, owner]) => [key.slice(SERVICE_IP_CLAIM_PREFIX.length), owner])),
      nodePorts: new Map([...ports].map(([key, owner]) => [Number(key.slice(NODE_PORT_CLAIM_PREFIX.length)), owner])),
    };
  }

  /**
   * allocateNew gives the new Services among `items` (all creates) their addresses and ports, in
   * place, and returns the claims to take with them; undefined when one cannot be allocated.
   */
  async allocateNew(items: { info: ResourceInfo; object: BerthObject }[]): Promise<GuardedChange[] | undefined> {
    const services = items.filter((item) => item.info.kind === 'Service');
    if (services.length === 0) return [];
    const used = await this.readUsed();
    const claims: GuardedChange[] = [];
    for (const item of services) {
      const plan = this.plan({ kind: 'write', action: 'created', object: item.object }, undefined, used);
      if (plan.kind !== 'write') return undefined;
      item.object = plan.object;
      claims.push(takeClaims(plan.claims?.take ?? []));
    }
    return claims;
  }

  /**
   * plan completes the plan of a Service write with its allocation, and marks what it takes in
   * `used` for the Services planned after it. An unchanged Service that lacks an address (stored
   * before addresses were allocated) becomes a write; a requested address or port that cannot be
   * had makes the plan invalid.
   */
  plan(plan: ApplyPlan, live: Service | undefined, used: UsedClaims): ApplyPlan {
    if (plan.kind === 'invalid') return plan;
    const result = allocateService(plan.object as Service, live, used, this.range, this.random);
    if (result.kind === 'invalid') return result;
    markAllocated(used, result.service);
    const { service, take, release } = result;
    const changesClaims = take.length > 0 || release.length > 0;
    if (live && !changesClaims && deepEqual(service, live)) return { kind: 'unchanged', object: live };
    if (live && !deepEqual(service.spec, live.spec)) service.metadata.generation = (live.metadata.generation ?? 0) + 1;
    return { kind: 'write', action: plan.kind === 'write' ? plan.action : 'configured', object: service, claims: { take, release } };
  }
}
