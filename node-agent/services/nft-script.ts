/**
 * Turns the difference between what the table holds (TableState) and what is wanted (TablePlan)
 * into the commands of one nft transaction, touching only the chains and elements in scope:
 * never a flush of the table, and chains whose content is unchanged are left alone.
 *
 * Each chain carries the hash of its content in its last rule's comment (`berth:<hash>`), so a
 * restarted agent can tell from the kernel alone which chains are already right.
 */
import { createHash } from 'node:crypto';
import { SET_DECLARATIONS, SET_NAMES, TABLE, type ChainPlan, type SetName, type TablePlan } from './nft-plan.js';

/** TableState is what the kernel's table holds, as far as reconciling needs it. */
export interface TableState {
  /** The table and its sets exist. */
  exists: boolean;
  /** Each chain's content hash ('' when its last rule has no hash comment, or it has no rule). */
  chains: Map<string, string>;
  /** Elements of each set: key → value ('' in a plain set), in the form the plans use. */
  elements: Record<SetName, Map<string, string>>;
}

/** Scope limits a transaction to some chains and some keys of each set. */
export interface Scope {
  chains: Iterable<string>;
  elements: Record<SetName, Iterable<string>>;
}

/** emptyState is a table that does not exist. */
export function emptyState(): TableState {
  return { exists: false, chains: new Map(), elements: { 'service-ips': new Map(), 'service-nodeports': new Map(), 'cluster-ips': new Map(), hairpin: new Map() } };
}

/** HASH_COMMENT_PREFIX starts the comment that holds a chain's content hash. */
export const HASH_COMMENT_PREFIX = 'berth:';

/** chainHash is a short hash of everything a chain is declared with. */
export function chainHash(chain: ChainPlan): string {
  return createHash('sha256').update(JSON.stringify([chain.base ?? '', chain.rules])).digest('hex').slice(0, 16);
}

/** fullScope covers every chain and element of the state and of the plan. */
export function fullScope(state: TableState, plan: TablePlan): Scope {
  const elements = {} as Record<SetName, Set<string>>;
  for (const set of SET_NAMES) elements[set] = new Set([...state.elements[set].keys(), ...plan.elements[set].keys()]);
  return { chains: new Set([...state.chains.keys(), ...plan.chains.keys()]), elements };
}

/** Transaction is the script to run, and what it changes in the table once it succeeded. */
export interface Transaction {
  /** nft commands, one per line; empty when nothing in scope differs. */
  commands: string[];
  /** Chains written (their new hash) or deleted (undefined). */
  chains: Map<string, string | undefined>;
  /** Elements added or changed (their value) or deleted (undefined), by set. */
  elements: Record<SetName, Map<string, string | undefined>>;
}

/** applyTransaction records in `state` what a successful transaction changed. */
export function applyTransaction(state: TableState, tx: Transaction): void {
  state.exists = true;
  for (const [name, hash] of tx.chains) {
    if (hash === undefined) state.chains.delete(name);
    else state.chains.set(name, hash);
  }
  for (const set of SET_NAMES) {
    for (const [key, value] of tx.elements[set]) {
      if (value === undefined) state.elements[set].delete(key);
      else state.elements[set].set(key, value);
    }
  }
}

function ruleLines(name: string, chain: ChainPlan, hash: string): string[] {
  const last = chain.rules.length - 1;
  return chain.rules.map((rule, i) => `add rule ip ${TABLE} ${name} ${rule}${i === last ? ` comment "${HASH_COMMENT_PREFIX}${hash}"` : ''}`);
}

function elementLine(verb: 'add' | 'delete', set: SetName, entries: Array<[string, string]>): string {
  const body = entries.map(([key, value]) => (value === '' || verb === 'delete' ? key : `${key} : ${value}`)).join(', ');
  return `${verb} element ip ${TABLE} ${set} { ${body} }`;
}

/**
 * transaction computes the commands that make the chains and elements in `scope` of `state`
 * what `plan` says, in an order the kernel accepts within one transaction: new chains are
 * declared before any rule or element refers to them, and chains go only after the elements
 * and rules that jumped to them.
 */
export function transaction(state: TableState, plan: TablePlan, scope: Scope): Transaction {
  const tx: Transaction = { commands: [], chains: new Map(), elements: { 'service-ips': new Map(), 'service-nodeports': new Map(), 'cluster-ips': new Map(), hairpin: new Map() } };
  const head: string[] = [];
  if (!state.exists) {
    head.push(`add table ip ${TABLE}`);
    for (const set of SET_NAMES) head.push(`add ${SET_DECLARATIONS[set]}`);
  }
  const declare: string[] = [];
  const rules: string[] = [];
  const flushStale: string[] = [];
  const deleteStale: string[] = [];
  for (const name of scope.chains) {
    const wanted = plan.chains.get(name);
    const current = state.chains.get(name);
    if (!wanted) {
      if (current === undefined) continue;
      flushStale.push(`flush chain ip ${TABLE} ${name}`);
      deleteStale.push(`delete chain ip ${TABLE} ${name}`);
      tx.chains.set(name, undefined);
      continue;
    }
    const hash = chainHash(wanted);
    if (current === hash) continue;
    if (current === undefined || wanted.base !== undefined) declare.push(`add chain ip ${TABLE} ${name}${wanted.base ? ` ${wanted.base}` : ''}`);
    if (current !== undefined) rules.push(`flush chain ip ${TABLE} ${name}`);
    rules.push(...ruleLines(name, wanted, hash));
    tx.chains.set(name, hash);
  }
  const removals: string[] = [];
  const additions: string[] = [];
  for (const set of SET_NAMES) {
    const toDelete: Array<[string, string]> = [];
    const toAdd: Array<[string, string]> = [];
    for (const key of scope.elements[set]) {
      const wanted = plan.elements[set].get(key);
      const current = state.elements[set].get(key);
      if (wanted === current) continue;
      if (current !== undefined) toDelete.push([key, current]);
      if (wanted !== undefined) toAdd.push([key, wanted]);
      tx.elements[set].set(key, wanted);
    }
    if (toDelete.length > 0) removals.push(elementLine('delete', set, toDelete));
    if (toAdd.length > 0) additions.push(elementLine('add', set, toAdd));
  }
  const changes = [...declare, ...rules, ...removals, ...additions, ...flushStale, ...deleteStale];
  tx.commands = changes.length > 0 || !state.exists ? [...head, ...changes] : [];
  return tx;
}
