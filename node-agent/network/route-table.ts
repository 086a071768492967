/**
 * The routes the agent keeps in its node's network namespace: one per other node, to that
 * node's pod CIDR via its address. They carry a routing protocol number of their own, so the
 * agent lists and removes exactly its routes and never another's.
 */
import { CommandFailedError, runTool, type CommandRunner } from './commands.js';

/** The routing protocol number Berth's routes carry (`ip route … proto 190`; free in iproute2's rt_protos). */
export const ROUTE_PROTOCOL = 190;

/** NodeRoute is a route to another node's pod CIDR via that node's address. */
export interface NodeRoute {
  cidr: string;
  via: string;
}

/** RouteTable is used to read and change Berth's routes in the namespace the runner works in. */
export class RouteTable {
  constructor(private readonly run: CommandRunner) {}

  /** list returns every route carrying Berth's protocol number. */
  async list(): Promise<NodeRoute[]> {
    const out = await runTool(this.run, 'ip', ['-j', '-4', 'route', 'show', 'proto', String(ROUTE_PROTOCOL)]);
    const routes = JSON.parse(out.trim() === '' ? '[]' : out) as Array<{ dst?: string; gateway?: string }>;
    return routes.flatMap((r) => (r.dst && r.gateway ? [{ cidr: r.dst, via: r.gateway }] : []));
  }

  /** replace makes the route to `cidr` go via `via` (added, or changed from another gateway). */
  async replace(route: NodeRoute): Promise<void> {
    await runTool(this.run, 'ip', ['route', 'replace', route.cidr, 'via', route.via, 'proto', String(ROUTE_PROTOCOL)]);
  }

  /** remove deletes Berth's route to `cidr`; one already gone is fine. */
  async remove(cidr: string): Promise<void> {
    try {
      await runTool(this.run, 'ip', ['route', 'del', cidr, 'proto', String(ROUTE_PROTOCOL)]);
    } catch (err) {
      if (err instanceof CommandFailedError && /No such process/.test(err.outcome.stderr)) return;
      throw err;
    }
  }
}
