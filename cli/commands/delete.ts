import type { BerthObject } from '../../proto/objects/meta.js';
import { DEFAULT_NAMESPACE, qualifiedKind, resourceForKind } from '../../proto/resources.js';
import type { ResourceInfo } from '../../proto/resources.js';
import { ApiError } from '../client.js';
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
  /** --timeout for --wait, in seconds; 0 (default) waits as long as it takes. */
  timeout?: number;
}

/** What DeleteRequest carries for the flags, and the warning kubectl prints for them. */
export interface DeletionFlags {
  gracePeriodSeconds: number;
  force: boolean;
  warning?: string;
}

/** FORCE_WARNING is kubectl's warning for --force --grace-period=0. */
export const FORCE_WARNING =
  'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.';

/**
 * deletionFlags reads --grace-period, --force and --now as kubectl does: --now is a grace period
 * of 1; --grace-period=0 without --force becomes 1 (so a slip never skips the pod's shutdown);
 * --force alone means --grace-period=0, which deletes at once (with a warning); --force with a
 * grace period above 0 is refused. Returns the request's grace period (0: the pod's own).
 */
export function deletionFlags(options: Pick<DeleteOptions, 'gracePeriod' | 'force' | 'now'>): DeletionFlags {
  let grace = options.gracePeriod ?? -1;
  if (!Number.isInteger(grace) || grace < -1) throw new CliError(`--grace-period must be a whole number of seconds, -1 or more, not ${String(options.gracePeriod)}`);
  if (options.now) {
    if (grace !== -1) throw new CliError('--now and --grace-period cannot be specified together');
    grace = 1;
  }
  const force = options.force ?? false;
  if (grace === 0 && !force) grace = 1;
  if (force && grace < 0) grace = 0;
  if (force && grace > 0) throw new CliError('--force and --grace-period greater than 0 cannot be specified together');
  if (force) return { gracePeriodSeconds: 0, force: true, warning: FORCE_WARNING };
  return { gracePeriodSeconds: Math.max(0, grace), force: false };
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
async function waitUntilGone(client: ClusterClient, deleted: { target: Target; uid: string | undefined }[], timeoutSeconds: number): Promise<void> {
  const deadline = timeoutSeconds > 0 ? Date.now() + timeoutSeconds * 1000 : Infinity;
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
