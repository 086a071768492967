import type { BerthObject } from '../../proto/objects/meta.js';
import { DEFAULT_NAMESPACE, qualifiedKind, resourceForKind } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { ApiError } from '../client.js';
import { deletionFlags } from '../delete-flags.js';
import type { ClusterClient } from '../client.js';
import { CliError } from '../errors.js';
import { readManifests } from '../manifests.js';
import type { GlobalOptions } from './context.js';
import { namespaceOf, print, printErr, readStdin, resourceOf, withClient } from './context.js';

export interface DeleteOptions extends GlobalOptions {
  filename?: string[];
  ignoreNotFound?: boolean;
  /** kubectl's --grace-period: -1 (default) the pod's own, 0 with --force immediate, 0 alone means 1. */
  gracePeriod?: number;
  force?: boolean;
  /** --now: a grace period of 1 second. */
  now?: boolean;
  /** --wait (default true): return only once the objects are gone. */
  wait?: boolean;
  /** --timeout for --wait, in milliseconds; 0 (default) waits as long as it takes. */
  timeout?: number;
}

/**
 * delete removes objects named on the command line (`KIND NAME...`, `KIND/NAME`) or in manifests
 * (`-f`). Like kubectl it goes on after an object that is not found, and exits 1 at the end. A
 * pod on a node is deleted gracefully (it shows Terminating until its node has stopped it); like
 * kubectl, the command then waits until every deleted object is gone, unless --wait=false.
 */
export async function deleteCommand(args: string[], options: DeleteOptions): Promise<void> {
  const targets = options.filename?.length ? targetsFromManifests(options) : targetsFromArgs(args, namespaceOf(options));
  if (targets.length === 0) throw new CliError('nothing to delete: use "berth delete KIND NAME" or "berth delete -f FILE"');
  const flags = deletionFlags(options);
  if (flags.warning) printErr(flags.warning);
  let failed = 0;
  await withClient(options, async (client) => {
    const deleted: { target: Target; uid: string | undefined }[] = [];
    for (const t of targets) {
      try {
        const object = await client.delete(t.info.resource, t.namespace, t.name, { gracePeriodSeconds: flags.gracePeriodSeconds, force: flags.force });
        print(`${qualifiedKind(t.info)} "${t.name}" deleted`);
        deleted.push({ target: t, uid: object.metadata.uid });
      } catch (err) {
        if (err instanceof ApiError && err.message.includes('(NotFound)') && options.ignoreNotFound) continue;
        if (!(err instanceof ApiError) || err.message.startsWith('cannot reach')) throw err;
        printErr(err.message);
        failed++;
      }
    }
    if (options.wait ?? true) await waitUntilGone(client, deleted, options.timeout ?? 0);
  });
  if (failed > 0) throw new CliError(`${failed} object(s) could not be deleted`);
}

/** waitUntilGone returns once no deleted object exists any more (another of the same name does not count). */
async function waitUntilGone(client: ClusterClient, deleted: { target: Target; uid: string | undefined }[], timeoutMs: number): Promise<void> {
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
  let pending = deleted;
  for (let delayMs = 100; pending.length > 0; delayMs = Math.min(delayMs * 2, 1000)) {
    const still: typeof pending = [];
    for (const d of pending) {
      const live = await client.get(d.target.info.resource, d.target.namespace, d.target.name).catch((err: unknown) => {
        if (err instanceof ApiError && err.message.includes('(NotFound)')) return undefined;
        throw err;
      });
      if (live && (!d.uid || live.metadata.uid === d.uid)) still.push(d);
    }
    pending = still;
    if (pending.length === 0) return;
    if (Date.now() >= deadline) {
      const names = pending.map((d) => `${qualifiedKind(d.target.info)}/${d.target.name}`).join(', ');
      throw new CliError(`timed out waiting for the deletion of ${names} (still terminating; "berth get" shows them until their nodes finish them)`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs, Math.max(0, deadline - Date.now()))));
  }
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
