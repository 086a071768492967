import type { BerthObject } from '../../proto/objects/meta.js';
import { DEFAULT_NAMESPACE, qualifiedKind, resourceForKind } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { ApiError } from '../client.js';
import { CliError } from '../errors.js';
import { readManifests } from '../manifests.js';
import type { GlobalOptions } from './context.js';
import { namespaceOf, print, printErr, readStdin, resourceOf, withClient } from './context.js';

export interface DeleteOptions extends GlobalOptions {
  filename?: string[];
  ignoreNotFound?: boolean;
}

/**
 * delete removes objects named on the command line (`KIND NAME...`, `KIND/NAME`) or in manifests
 * (`-f`). Like kubectl it goes on after an object that is not found, and exits 1 at the end.
 */
export async function deleteCommand(args: string[], options: DeleteOptions): Promise<void> {
  const targets = options.filename?.length ? targetsFromManifests(options) : targetsFromArgs(args, namespaceOf(options));
  if (targets.length === 0) throw new CliError('nothing to delete: use "berth delete KIND NAME" or "berth delete -f FILE"');
  let failed = 0;
  await withClient(options, async (client) => {
    for (const t of targets) {
      try {
        await client.delete(t.info.resource, t.namespace, t.name);
        print(`${qualifiedKind(t.info)} "${t.name}" deleted`);
      } catch (err) {
        if (err instanceof ApiError && err.message.includes('(NotFound)') && options.ignoreNotFound) continue;
        if (!(err instanceof ApiError) || err.message.startsWith('cannot reach')) throw err;
        printErr(err.message);
        failed++;
      }
    }
  });
  if (failed > 0) throw new CliError(`${failed} object(s) could not be deleted`);
}

interface Target {
  info: ResourceInfo;
  namespace: string;
  name: string;
}

function targetsFromArgs(args: string[], namespace: string): Target[] {
  if (args.length === 0) return [];
  const first = args[0] as string;
  if (first.includes('/')) {
    return args.map((a) => {
      const [kind, name] = a.split('/', 2) as [string, string | undefined];
      if (!name) throw new CliError(`"${a}" names no object: use KIND/NAME`);
      return { info: resourceOf(kind), namespace, name };
    });
  }
  const info = resourceOf(first);
  if (args.length < 2) throw new CliError(`a name is required: berth delete ${first} NAME`);
  return args.slice(1).map((name) => ({ info, namespace, name }));
}

function targetsFromManifests(options: DeleteOptions): Target[] {
  return readManifests(options.filename ?? [], readStdin).map((d) => {
    const o = d.object as BerthObject;
    const info = o && typeof o === 'object' ? resourceForKind(String(o.apiVersion), String(o.kind)) : undefined;
    if (!info || typeof o.metadata?.name !== 'string') throw new CliError(`${d.source}: document ${d.index}: not an object Berth knows (needs apiVersion, kind and metadata.name)`);
    return { info, namespace: o.metadata.namespace ?? options.namespace ?? DEFAULT_NAMESPACE, name: o.metadata.name };
  });
}
