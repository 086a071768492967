import type { Deployment } from '../../proto/objects/apps.js';
import { CliError } from '../errors.js';
import { PlainProgress, TerminalProgress } from './progress.js';
import type { ProgressDisplay } from './progress.js';
import { replicaCounts } from './status.js';
import type { ReplicaCounts, RolloutState } from './status.js';
import { watchRollout } from './watch-rollout.js';
import type { RolloutClient } from './watch-rollout.js';

/** AppliedDeployment is a Deployment `apply` wrote (or found unchanged) and `--wait` waits for. */
export interface AppliedDeployment {
  namespace: string;
  name: string;
  /** e.g. deployment.apps/web */
  label: string;
}

/** WaitOptions: when apply started (ms), the limit (0: none), and where the progress goes. */
export interface WaitOptions {
  since: number;
  timeoutMs: number;
  out: { write(text: string): unknown; isTTY?: boolean; columns?: number; rows?: number };
}

/**
 * waitForRollouts follows every applied Deployment's rollout at once (the same judgement as
 * `rollout status`), shown live on a terminal and as plain lines elsewhere, and fails naming
 * each rollout that failed (deadline, rollback, timeout).
 */
export async function waitForRollouts(client: RolloutClient, deployments: AppliedDeployment[], options: WaitOptions): Promise<void> {
  if (deployments.length === 0) return;
  // Rows redrawn in place must all fit on the screen; more Deployments than that get plain lines.
  const live = options.out.isTTY === true && deployments.length < (options.out.rows || Infinity);
  const display: ProgressDisplay = live
    ? new TerminalProgress(deployments.map((d) => (d.namespace === 'default' ? d.name : `${d.namespace}/${d.name}`)), options.out)
    : new PlainProgress((line) => options.out.write(`${line}\n`));
  const counts: (ReplicaCounts | undefined)[] = [];
  let outcomes: PromiseSettledResult<RolloutState>[];
  try {
    outcomes = await Promise.allSettled(
      deployments.map((target, i) =>
        watchRollout(client, target.namespace, target.name, {
          since: options.since,
          timeoutMs: options.timeoutMs,
          onChange: (state: RolloutState, d: Deployment) => {
            counts[i] = replicaCounts(d);
            display.update(i, { label: target.label, counts: counts[i], state });
          },
        }).then((state) => {
          // The last state is reported here too: a timeout has no Deployment change to report it.
          if (state.kind === 'failed') display.update(i, { label: target.label, counts: counts[i], state });
          return state;
        }),
      ),
    );
  } finally {
    display.end();
  }
  const failures: string[] = [];
  outcomes.forEach((o, i) => {
    const label = (deployments[i] as AppliedDeployment).label;
    if (o.status === 'rejected') failures.push(`waiting for ${label}: ${o.reason instanceof Error ? o.reason.message : String(o.reason)}`);
    else if (o.value.kind === 'failed') failures.push(`rollout of ${label} failed: ${o.value.message}`);
  });
  if (failures.length > 0) throw new CliError(failures.join('\nerror: '));
}
