import { CliError } from '../errors.js';
import type { GlobalOptions } from './context.js';
import { containerFor } from './default-container.js';
import { namespaceOf, withClient } from './context.js';

export interface LogsOptions extends GlobalOptions {
  container?: string;
  follow?: boolean;
  tail?: string;
  previous?: boolean;
}

/** logs prints a container's output, fetched by the control plane from the pod's node. */
export async function logsCommand(pod: string, options: LogsOptions): Promise<void> {
  const name = pod.startsWith('pod/') ? pod.slice(4) : pod;
  const tail = options.tail === undefined ? 0 : Number(options.tail);
  if (!Number.isInteger(tail) || tail < -1) throw new CliError(`--tail must be a whole number, not "${options.tail}"`);
  const namespace = namespaceOf(options);
  await withClient(options, async (client) => {
    const container = await containerFor(client, namespace, name, options.container);
    await client.logs({ namespace, pod: name, container, follow: options.follow ?? false, tail_lines: Math.max(tail, 0), previous: options.previous ?? false }, process.stdout);
  });
}
