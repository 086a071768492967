import { readFileSync } from 'node:fs';
import { DEFAULT_NAMESPACE, RESOURCES, resolveResource } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { ClusterClient } from '../client.js';
import { clientCredentials, resolveServer } from '../config.js';
import { CliError } from '../errors.js';

/** GlobalOptions are accepted by every command. */
export interface GlobalOptions {
  server?: string;
  namespace?: string;
}

/** withClient opens a ClusterAPI client for one command and always closes it. */
export async function withClient<T>(options: GlobalOptions, body: (client: ClusterClient) => Promise<T>): Promise<T> {
  const client = new ClusterClient(resolveServer(options.server), clientCredentials());
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

export function namespaceOf(options: GlobalOptions): string {
  return options.namespace || DEFAULT_NAMESPACE;
}

/** resourceOf resolves what the user typed (deploy, deployments, svc, ...) or says what exists. */
export function resourceOf(word: string): ResourceInfo {
  const info = resolveResource(word);
  if (!info) {
    const served = RESOURCES.filter((r) => r.resource !== 'leases').map((r) => r.resource);
    throw new CliError(`the server doesn't have a resource type "${word}" (try: ${served.join(', ')})`);
  }
  return info;
}

/** splitKindName accepts `deployment/web` or (`deployment`, `web`). */
export function splitKindName(first: string, second: string | undefined): { info: ResourceInfo; name: string } {
  if (first.includes('/')) {
    const [kind, name] = first.split('/', 2) as [string, string];
    if (!name) throw new CliError(`"${first}" names no object: use KIND/NAME, e.g. deployment/web`);
    return { info: resourceOf(kind), name };
  }
  if (!second) throw new CliError(`a name is required: use "${first} NAME" or "${first}/NAME"`);
  return { info: resourceOf(first), name: second };
}

export function readStdin(): string {
  return readFileSync(0, 'utf8');
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printErr(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}
