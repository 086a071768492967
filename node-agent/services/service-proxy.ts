import type { Logger } from 'winston';
import { DesiredTable, emptyScope } from './desired-table.js';
import { emptyPlan, planService, TABLE, type TablePlan } from './nft-plan.js';
import { NftError, type Nft } from './nft-runner.js';
import { applyTransaction, emptyState, fullScope, transaction, type TableState } from './nft-script.js';
import { NftStateError, parseTableState } from './nft-state.js';
import type { Conntrack } from './conntrack.js';
import { earliestRevision } from './revision.js';
import type { ServiceCache, ServiceKey } from './service-cache.js';
import { staleFlows, udpFrontends, type ConntrackDeletion, type UdpFrontend } from './udp-flows.js';

/** SyncReport describes one transaction the proxy ran (for logs and benchmarks). */
export interface SyncReport {
  kind: 'reconcile' | 'incremental';
  services: number;
  commands: number;
  /** How long nft took. */
  applyMs: number;
  /** For each Service in it, the time from its first unprogrammed change to the rules being in place. */
  latenciesMs: number[];
  /**
   * The resourceVersion of the last WatchServices event the node's rules now include, all
   * Services together (one still failing holds it back); undefined while unknown.
   */
  revision?: string;
}

/** Back-off after a failed transaction: 0.5 s doubling to 10 s. */
const retryDelayMs = (failures: number): number => Math.min(500 * 2 ** (failures - 1), 10_000);

/**
 * ServiceProxy is used to program the node's service proxy: nftables rules in the agent's
 * network namespace (nft-plan.ts describes them) kept equal to the Services and EndpointSlices
 * of the ServiceCache.
 *
 * Lifecycle: start() listens to the cache. Nothing is touched until the cache has a complete
 * listing: then the table left by an earlier agent (if any) is read and reconciled in one
 * transaction that rewrites only what differs (traffic keeps flowing meanwhile). After that each
 * change becomes one transaction covering the Services changed since the last one, and only
 * their chains and elements. A failed transaction changes nothing (nft applies all or none): its
 * Services are retried one by one, and one that fails alone waits out a back-off, so a bad
 * Service never holds up the others. stop() stops listening and leaves the rules in place:
 * traffic to running pods keeps working while the agent is away.
 */
export class ServiceProxy {
  private readonly desired = new DesiredTable();
  /** Services changed since they were last programmed, with the time of the first change. */
  private readonly dirty = new Map<ServiceKey, number>();
  /**
   * For each Service whose rules lag the cache, the cache's revision before its first change
   * not yet in the kernel: the rules include every event up to there for it. Kept until the
   * Service is programmed (a failed transaction does not lose it).
   */
  private readonly lagging = new Map<ServiceKey, string | undefined>();
  /** Services of a failed transaction, to be programmed one per transaction. */
  private readonly isolating = new Set<ServiceKey>();
  /** Failures in a row of Services that failed alone; `blocked` ones wait for their back-off. */
  private readonly failures = new Map<ServiceKey, number>();
  private readonly blocked = new Set<ServiceKey>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** What the kernel's table holds; undefined until read (again). */
  private state: TableState | undefined;
  private reconcileFailures = 0;
  /** A failed reconcile waits out its back-off before anything else runs. */
  private paused = false;
  private ready = false;
  private running = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  /** The UDP frontends programmed per Service, to know which conntrack entries a change leaves stale. */
  private readonly udp = new Map<ServiceKey, UdpFrontend[]>();
  /** Conntrack deletions run one after another, after the rules that made them necessary. */
  private flows: Promise<void> = Promise.resolve();

  constructor(
    private readonly cache: ServiceCache,
    private readonly nft: Nft,
    private readonly logger: Logger,
    private readonly onSync: (report: SyncReport) => void = () => undefined,
    private readonly conntrack?: Conntrack,
  ) {}

  start(): void {
    this.unsubscribe = this.cache.onChange((key) => this.changed(key));
    void this.cache.whenSynced().then(() => {
      this.ready = true;
      this.kick();
    });
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const timer of this.timers) clearTimeout(timer);
  }

  private changed(key: ServiceKey): void {
    if (!this.dirty.has(key)) this.dirty.set(key, performance.now());
    if (!this.lagging.has(key)) this.lagging.set(key, this.cache.revision);
    this.kick();
  }

  /** kick starts a sync on the next turn, so the changes of one burst of events share a transaction. */
  private kick(): void {
    if (this.running || !this.ready || this.stopped || this.paused) return;
    this.running = true;
    setImmediate(() => {
      this.loop().then(
        () => undefined,
        (err: unknown) => this.logger.error('service proxy sync loop failed', { error: String(err) }),
      );
    });
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopped) {
        if (this.state === undefined) {
          if (!(await this.reconcile())) return;
          continue;
        }
        const batch = this.nextBatch();
        if (batch.length === 0) return;
        await this.incremental(batch);
      }
    } finally {
      this.running = false;
    }
  }

  private nextBatch(): ServiceKey[] {
    const ready = [...this.dirty.keys()].filter((k) => !this.blocked.has(k));
    const isolated = ready.find((k) => this.isolating.has(k));
    return isolated !== undefined ? [isolated] : ready;
  }

  private udpOf(key: ServiceKey): UdpFrontend[] {
    const { service, slices } = this.cache.get(key);
    return udpFrontends(service, slices);
  }

  private clearFlows(deletions: ConntrackDeletion[]): void {
    const conntrack = this.conntrack;
    if (!conntrack || deletions.length === 0) return;
    this.flows = this.flows.then(async () => {
      for (const d of deletions) {
        await conntrack.delete(d).catch((err: unknown) => this.logger.warn('deleting stale UDP conntrack entries failed', { ...d, error: String(err) }));
      }
    });
  }

  private plan(key: ServiceKey): TablePlan {
    const { service, slices } = this.cache.get(key);
    return planService(service, slices);
  }

  /**
   * reconcile reads the table and makes all of it what the cache says in one transaction,
   * leaving alone the Services waiting out a failure. Returns false when it failed (retried
   * after a back-off).
   */
  private async reconcile(): Promise<boolean> {
    const keys = [...new Set([...this.cache.keys(), ...this.desired.keys(), ...this.dirty.keys()])].filter((k) => !this.blocked.has(k));
    const started = keys.map((k) => this.dirty.get(k));
    let state: TableState;
    let replace = false;
    try {
      const listing = await this.nft.listTable();
      state = listing === undefined ? emptyState() : parseTableState(listing);
    } catch (err) {
      if (!(err instanceof NftStateError)) return this.reconcileFailed(err);
      // A table in a form this agent never writes: replaced whole, still in one transaction.
      this.logger.warn('the service proxy table is not in a form this agent knows; replacing it', { table: TABLE, error: err.message });
      state = emptyState();
      replace = true;
    }
    const planned = this.cache.revision;
    for (const key of keys) {
      this.desired.set(key, this.plan(key));
      this.dirty.delete(key);
    }
    // Flows made before this agent are left alone: which backends they were sent to is not known.
    for (const key of keys) this.udp.set(key, this.udpOf(key));
    const tx = transaction(state, this.desired.merged, fullScope(state, this.desired.merged));
    const commands = replace ? [`add table ip ${TABLE}`, `delete table ip ${TABLE}`, ...tx.commands] : tx.commands;
    const t0 = performance.now();
    try {
      if (commands.length > 0) await this.nft.apply(commands);
    } catch (err) {
      keys.forEach((key, i) => this.dirty.set(key, started[i] ?? performance.now()));
      return this.reconcileFailed(err);
    }
    applyTransaction(state, tx);
    this.state = state;
    this.reconcileFailures = 0;
    const now = performance.now();
    const latenciesMs = started.filter((t): t is number => t !== undefined).map((t) => now - t);
    const revision = this.programmed(keys, planned);
    this.onSync({ kind: 'reconcile', services: keys.length, commands: commands.length, applyMs: now - t0, latenciesMs, ...(revision ? { revision } : {}) });
    this.logger.info('service proxy rules reconciled', { services: keys.length, commands: commands.length, ms: Math.round(now - t0) });
    return true;
  }

  private reconcileFailed(err: unknown): false {
    this.reconcileFailures++;
    this.logger.error('reconciling the service proxy table failed; retrying', { table: TABLE, error: (err as Error).message });
    this.paused = true;
    this.after(retryDelayMs(this.reconcileFailures), () => (this.paused = false));
    return false;
  }

  /** incremental programs the given changed Services in one transaction. */
  private async incremental(keys: ServiceKey[]): Promise<void> {
    const state = this.state ?? emptyState();
    const started = keys.map((k) => this.dirty.get(k) ?? performance.now());
    const previous = keys.map((k) => this.desired.planOf(k) ?? emptyPlan());
    const scope = emptyScope();
    const planned = this.cache.revision;
    for (const key of keys) {
      this.dirty.delete(key);
      this.desired.set(key, this.plan(key), scope);
    }
    const tx = transaction(state, this.desired.merged, scope);
    const t0 = performance.now();
    try {
      if (tx.commands.length > 0) await this.nft.apply(tx.commands);
    } catch (err) {
      // Back to what the kernel holds; the Services stay dirty.
      keys.forEach((key, i) => {
        this.desired.set(key, previous[i] ?? emptyPlan());
        if (!this.dirty.has(key)) this.dirty.set(key, started[i] ?? performance.now());
      });
      if (err instanceof NftError && err.outcomeUnknown) this.state = undefined;
      return this.incrementalFailed(keys, err);
    }
    applyTransaction(state, tx);
    this.state = state;
    const stale: ConntrackDeletion[] = [];
    for (const key of keys) {
      this.isolating.delete(key);
      this.failures.delete(key);
      const after = this.udpOf(key);
      stale.push(...staleFlows(this.udp.get(key) ?? [], after));
      if (after.length > 0) this.udp.set(key, after);
      else this.udp.delete(key);
    }
    this.clearFlows(stale);
    const now = performance.now();
    const revision = this.programmed(keys, planned);
    this.onSync({ kind: 'incremental', services: keys.length, commands: tx.commands.length, applyMs: now - t0, latenciesMs: started.map((t) => now - t), ...(revision ? { revision } : {}) });
  }

  /**
   * programmed notes that `keys` are in the kernel as the cache was at revision `planned`, and
   * returns how far the whole table now reaches: `planned`, held back by any Service still lagging.
   */
  private programmed(keys: ServiceKey[], planned: string | undefined): string | undefined {
    for (const key of keys) {
      // Changed again while its transaction ran: in the kernel up to `planned`, not beyond.
      if (this.dirty.has(key)) this.lagging.set(key, planned);
      else this.lagging.delete(key);
    }
    return earliestRevision([planned, ...this.lagging.values()]);
  }

  private incrementalFailed(keys: ServiceKey[], err: unknown): void {
    const [only] = keys;
    if (keys.length > 1 || only === undefined) {
      for (const key of keys) this.isolating.add(key);
      this.logger.warn('a service proxy transaction failed; programming its services one by one', { services: keys.length, error: (err as Error).message });
      return;
    }
    const failures = (this.failures.get(only) ?? 0) + 1;
    this.failures.set(only, failures);
    this.blocked.add(only);
    this.logger.error('programming the service proxy rules of a service failed; retrying', { service: only, failures, error: (err as Error).message });
    this.after(retryDelayMs(failures), () => this.blocked.delete(only));
  }

  /** after runs `then` and kicks a sync once `ms` passed. */
  private after(ms: number, then: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      then();
      this.kick();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
