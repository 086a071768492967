import { emptyPlan, SET_NAMES, skeletonPlan, type SetName, type TablePlan } from './nft-plan.js';
import type { Scope } from './nft-script.js';
import type { ServiceKey } from './service-cache.js';

/** The skeleton's owner key: no Service key has no slash. */
const SKELETON = '';

/** MutableScope is a Scope being collected. */
export interface MutableScope {
  chains: Set<string>;
  elements: Record<SetName, Set<string>>;
}

/** emptyScope is a scope with nothing in it. */
export function emptyScope(): MutableScope {
  return { chains: new Set(), elements: { 'service-ips': new Set(), 'service-nodeports': new Set(), 'cluster-ips': new Set(), hairpin: new Set() } };
}

/**
 * DesiredTable is used by the service proxy to keep the whole wanted table as the merge of the
 * skeleton and every Service's plan, updated one Service at a time. An element several Services
 * want (a backend in `hairpin` is shared; two Services claiming one address and port is a
 * conflict) stays while any of them wants it, with the value of the first owner in key order,
 * so one Service can never remove or overwrite what another still needs.
 */
export class DesiredTable {
  /** The merged plan: what the table should hold. */
  readonly merged: TablePlan = emptyPlan();
  private readonly plans = new Map<ServiceKey, TablePlan>();
  /** For every element: its owners and the value each wants. */
  private readonly owners = {} as Record<SetName, Map<string, Map<ServiceKey, string>>>;

  constructor() {
    for (const set of SET_NAMES) this.owners[set] = new Map();
    this.set(SKELETON, skeletonPlan());
  }

  /** The plan last set for a Service. */
  planOf(key: ServiceKey): TablePlan | undefined {
    return this.plans.get(key);
  }

  /** Services with a plan. */
  keys(): ServiceKey[] {
    return [...this.plans.keys()].filter((k) => k !== SKELETON);
  }

  /** set replaces the plan of one Service (an empty plan removes it) and adds what it touched to `scope`. */
  set(key: ServiceKey, plan: TablePlan, scope: MutableScope = emptyScope()): MutableScope {
    const before = this.plans.get(key) ?? emptyPlan();
    for (const name of before.chains.keys()) {
      this.merged.chains.delete(name);
      scope.chains.add(name);
    }
    for (const [name, chain] of plan.chains) {
      this.merged.chains.set(name, chain);
      scope.chains.add(name);
    }
    for (const set of SET_NAMES) {
      const touched = new Set([...before.elements[set].keys(), ...plan.elements[set].keys()]);
      for (const element of touched) {
        const owners = this.owners[set].get(element) ?? new Map<ServiceKey, string>();
        const value = plan.elements[set].get(element);
        if (value === undefined) owners.delete(key);
        else owners.set(key, value);
        if (owners.size === 0) {
          this.owners[set].delete(element);
          this.merged.elements[set].delete(element);
        } else {
          this.owners[set].set(element, owners);
          const first = [...owners.keys()].sort()[0] ?? key;
          this.merged.elements[set].set(element, owners.get(first) ?? '');
        }
        scope.elements[set].add(element);
      }
    }
    const empty = plan.chains.size === 0 && SET_NAMES.every((s) => plan.elements[s].size === 0);
    if (empty) this.plans.delete(key);
    else this.plans.set(key, plan);
    return scope;
  }
}
