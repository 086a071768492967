import type { ApplyResponse__Output } from '../../proto/generated/berth/v1/ApplyResponse.js';
import type { ApplyResult__Output } from '../../proto/generated/berth/v1/ApplyResult.js';
import type { Problem__Output } from '../../proto/generated/berth/v1/Problem.js';
import { resourceForKind, qualifiedKind } from '../../proto/resources.js';
import { CliError } from '../errors.js';
import { readManifests } from '../manifests.js';
import { waitForRollouts } from '../rollout/wait-applied.js';
import type { AppliedDeployment } from '../rollout/wait-applied.js';
import type { ManifestDocument } from '../manifests.js';
import type { GlobalOptions } from './context.js';
import { print, printErr, readStdin, withClient } from './context.js';

export interface ApplyOptions extends GlobalOptions {
  filename: string[];
  dryRun?: boolean;
  /** Wait for the applied Deployments' rollouts to finish. */
  wait?: boolean;
  /** With --wait: give up after this many milliseconds (0: never). */
  timeout?: number;
}

const ACTION_WORDS: Record<string, string> = { CREATED: 'created', CONFIGURED: 'configured', UNCHANGED: 'unchanged' };

/** where names a problem's place: file, document number (and line), object, field path. */
function where(p: Problem__Output, lines: Map<string, number>): string {
  const line = lines.get(`${p.source}#${p.index}`);
  const doc = `document ${p.index}${line ? ` (line ${line})` : ''}`;
  return [p.source, doc, p.kind, p.path].filter((s) => s !== '').join(': ');
}

/**
 * apply sends every document of every file in one request. The server validates all of them
 * before it writes any; `--dry-run` does everything but write.
 */
export async function applyCommand(options: ApplyOptions): Promise<void> {
  if (options.filename.length === 0) throw new CliError('must specify one of -f and -k: berth apply -f FILE|DIR|-');
  const documents: ManifestDocument[] = readManifests(options.filename, readStdin);
  if (documents.length === 0) throw new CliError('no objects passed to apply');
  if (options.wait && options.dryRun) throw new CliError('--wait cannot be used with --dry-run: a dry run changes nothing to wait for');
  if (options.namespace) {
    for (const d of documents) {
      const meta = (d.object as { metadata?: { namespace?: string } } | null)?.metadata;
      if (meta && typeof meta === 'object') {
        if (meta.namespace && meta.namespace !== options.namespace) {
          throw new CliError(`${d.source}: document ${d.index}: the namespace from the provided object "${meta.namespace}" does not match the namespace "${options.namespace}". You must pass '--namespace=${meta.namespace}' to perform this operation.`);
        }
        meta.namespace = options.namespace;
      }
    }
  }
  const lines = new Map(documents.map((d) => [`${d.source}#${d.index}`, d.line]));
  const since = Date.now();
  await withClient(options, async (client) => {
    const response = await client.apply({
      documents: documents.map((d) => ({ source: d.source, index: d.index, json: JSON.stringify(d.object) })),
      dry_run: options.dryRun ?? false,
    });
    report(response, lines, options);
    if (options.wait) await waitForRollouts(client, appliedDeployments(response.results), { since, timeoutMs: options.timeout ?? 0, out: process.stdout });
  });
}

/** appliedDeployments are the Deployments among what apply wrote or found unchanged. */
function appliedDeployments(results: ApplyResult__Output[]): AppliedDeployment[] {
  return results
    .filter((r) => r.api_version === 'apps/v1' && r.kind === 'Deployment')
    .map((r) => ({ namespace: r.namespace, name: r.name, label: `deployment.apps/${r.name}` }));
}

/** report prints the warnings (stderr), then fails with every error, or prints what was done. */
function report(response: ApplyResponse__Output, lines: Map<string, number>, options: ApplyOptions): void {
  for (const w of response.warnings) printErr(`Warning: ${where(w, lines)}: ${w.message}`);
  if (response.errors.length > 0) {
    const details = response.errors.map((e) => `${where(e, lines)}: ${e.message}`).join('\nerror: ');
    throw new CliError(`${details}\nerror: nothing was applied: ${response.errors.length} error(s) in the documents above`);
  }
  for (const r of response.results) {
    const info = resourceForKind(r.api_version, r.kind);
    const kind = info ? qualifiedKind(info) : r.kind.toLowerCase();
    print(`${kind}/${r.name} ${ACTION_WORDS[r.action] ?? r.action.toLowerCase()}${options.dryRun ? ' (dry run)' : ''}`);
  }
}
