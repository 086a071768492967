import type { GlobalOptions } from './context.js';
import { print, withClient } from './context.js';

/** cordon / uncordon mark a node unschedulable or schedulable again. */
export async function cordonCommand(nodeName: string, unschedulable: boolean, options: GlobalOptions): Promise<void> {
  await withClient(options, (client) => client.cordon(nodeName, unschedulable));
  print(`node/${nodeName} ${unschedulable ? 'cordoned' : 'uncordoned'}`);
}

/** drain cordons a node and evicts its pods, which their controllers replace on other nodes. */
export async function drainCommand(nodeName: string, options: GlobalOptions): Promise<void> {
  print(`node/${nodeName} cordoned`);
  const { evicted } = await withClient(options, (client) => client.drain(nodeName));
  for (const pod of evicted) print(`evicting pod ${pod}`);
  print(`node/${nodeName} drained`);
}
