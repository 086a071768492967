import type { Logger } from 'winston';
import type { Node } from '../../proto/objects/cluster.js';
import type { ChangeType, ListWatchHandler } from '../watch/list-watch.js';
import type { NodeRoute, RouteTable } from './route-table.js';

/** How soon a failed change of the routes is tried again. */
const DEFAULT_RETRY_MS = 2_000;

/** routeOf is the route this node needs to `node`'s pods: its pod CIDR via its InternalIP; none to itself or to a node without both. */
export function routeOf(node: Node, self: string): NodeRoute | undefined {
  if (node.metadata.name === self) return undefined;
  const cidr = node.spec?.podCIDR;
  const via = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  return cidr && via ? { cidr, via } : undefined;
}

/** RoutePlan is what to change so the kernel's routes (Berth's) become the wanted ones. */
export interface RoutePlan {
  replace: NodeRoute[];
  remove: string[];
}

/** planRoutes compares wanted and current routes (pod CIDR → gateway). Pure. */
export function planRoutes(wanted: ReadonlyMap<string, string>, current: ReadonlyMap<string, string>): RoutePlan {
  const replace = [...wanted].filter(([cidr, via]) => current.get(cidr) !== via).map(([cidr, via]) => ({ cidr, via }));
  const remove = [...current.keys()].filter((cidr) => !wanted.has(cidr));
  return { replace, remove };
}

/**
 * NodeRoutes is used to keep a route to every other node's pod CIDR, fed by the Node watch
 * (NodeAPI.WatchNodes). Level-triggered: events change the wanted routes, and a reconcile makes
 * the kernel's routes (RouteTable, Berth's protocol number only) match them.
 *
 * It is the ListWatchHandler of NodeAPI.WatchNodes. Lifecycle: relist() when the watch
 * (re)connects (its Nodes then arrive as ADDED), change() per event, listed() when the watch's
 * initial list is complete (its BOOKMARK), stop() at the end. Nothing is changed between relist()
 * and listed(): only then does the reconcile read
 * the kernel's routes and remove those of nodes that are gone (a node deleted while the agent was
 * down), so a half-received list never removes a route that is still wanted.
 */
export class NodeRoutes implements ListWatchHandler<Node> {
  private readonly wanted = new Map<string, NodeRoute>();
  /** Berth's routes in the kernel, as last read or changed; undefined: read them at the next reconcile. */
  private applied: Map<string, string> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private stopped = false;
  /** Between relist() and listed(): the wanted routes are still arriving. */
  private listing = true;

  private readonly retryMs: number;

  /** `timing` shortens the wait after a failure for tests. */
  constructor(private readonly self: string, private readonly table: RouteTable, private readonly logger: Logger, timing: { retryMs?: number } = {}) {
    this.retryMs = timing.retryMs ?? DEFAULT_RETRY_MS;
  }

  relist(): void {
    this.wanted.clear();
    this.applied = undefined;
    this.listing = true;
    clearTimeout(this.timer);
  }

  listed(): void {
    this.listing = false;
    this.schedule(0);
  }

  change(type: ChangeType, node: Node): void {
    if (!node.metadata?.name) return;
    if (type === 'DELETED') this.remove(node);
    else this.upsert(node);
  }

  upsert(node: Node): void {
    const route = routeOf(node, this.self);
    if (route) this.wanted.set(node.metadata.name, route);
    else this.wanted.delete(node.metadata.name);
    if (!this.listing) this.schedule(0);
  }

  remove(node: Node): void {
    this.wanted.delete(node.metadata.name);
    if (!this.listing) this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reconcile(), delayMs);
  }

  private async reconcile(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      const applied = (this.applied ??= new Map((await this.table.list()).map((r) => [r.cidr, r.via])));
      const plan = planRoutes(new Map([...this.wanted.values()].map((r) => [r.cidr, r.via])), applied);
      for (const cidr of plan.remove) {
        await this.table.remove(cidr);
        applied.delete(cidr);
        this.logger.info('route to a node\'s pods removed', { cidr });
      }
      for (const route of plan.replace) {
        await this.table.replace(route);
        applied.set(route.cidr, route.via);
        this.logger.info('route to a node\'s pods set', { cidr: route.cidr, via: route.via });
      }
    } catch (err) {
      this.logger.warn('changing the routes to other nodes failed; retrying', { error: String(err) });
      this.applied = undefined;
      this.schedule(this.retryMs);
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      this.schedule(0);
    }
  }
}
