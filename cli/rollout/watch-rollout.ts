import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import type { WatchRequest } from '../../proto/generated/berth/v1/WatchRequest.js';
import type { Deployment } from '../../proto/objects/apps.js';
import type { BerthObject } from '../../proto/objects/meta.js';
import { ApiError } from '../client.js';
import { RolloutJudge } from './judge.js';
import type { Verdict } from './judge.js';
import type { RolloutState } from './status.js';

const RESTART_PAUSE_MS = 1000;

/** The ClusterAPI calls a rollout watch needs (ClusterClient has them). */
export interface RolloutClient {
  get(resource: string, namespace: string, name: string): Promise<BerthObject>;
  watch(request: WatchRequest, onEvent: (type: string, object: BerthObject) => void, signal?: AbortSignal): Promise<void>;
}

/** WatchRolloutOptions: what to wait for and how long, and who hears about each change. */
export interface WatchRolloutOptions {
  /** When the caller started (ms): only a rollback at or after it fails the rollout. */
  since: number;
  /** Pin to this revision (0: whatever revision is the latest). */
  revision?: number;
  /** Give up after this long (0: never). */
  timeoutMs?: number;
  /** false: report the state once, do not wait (kubectl's --watch=false). */
  follow?: boolean;
  /** Told each state that differs from the one before, with the Deployment it was read from. */
  onChange(state: RolloutState, deployment: Deployment): void;
}

/**
 * watchRollout follows a Deployment's rollout with the Watch RPC until it is complete or
 * failed, or the timeout passes, and resolves with that last state. A watch the server ends
 * (a restart, an expired revision) is opened again from a fresh read.
 */
export async function watchRollout(client: RolloutClient, namespace: string, name: string, options: WatchRolloutOptions): Promise<RolloutState> {
  const judge = new RolloutJudge({ since: options.since, revision: options.revision ?? 0 });
  const stop = new AbortController();
  let last: string | undefined;
  let recheck: NodeJS.Timeout | undefined;
  let result: RolloutState | undefined;
  let resolveResult: (s: RolloutState) => void = () => undefined;
  const finished = new Promise<RolloutState>((resolve) => (resolveResult = resolve));
  const finish = (state: RolloutState) => {
    if (result) return;
    result = state;
    stop.abort();
    resolveResult(state);
  };
  const report = (verdict: Verdict, d: Deployment) => {
    const key = `${verdict.state.kind}:${verdict.state.message}:${'step' in verdict.state ? verdict.state.step : ''}`;
    if (key !== last && !result) options.onChange(verdict.state, d);
    last = key;
    clearTimeout(recheck);
    if (verdict.final || options.follow === false) return finish(verdict.state);
    if (verdict.recheckAt !== undefined) recheck = setTimeout(() => report(judge.judge(d, Date.now()), d), Math.max(0, verdict.recheckAt - Date.now()));
  };
  const timeout = options.timeoutMs
    ? setTimeout(() => finish({ kind: 'failed', reason: 'timeout', message: 'timed out waiting for the condition' }), options.timeoutMs)
    : undefined;
  try {
    while (!result) {
      const d = (await raceAbort(client.get('deployments', namespace, name), stop.signal)) as Deployment | undefined;
      if (!d || result) break;
      report(judge.judge(d, Date.now()), d);
      if (result) break;
      try {
        await client.watch(
          { resource: 'deployments', namespace, all_namespaces: false, resource_version: d.metadata.resourceVersion ?? '', label_selector: '' },
          (type, object) => {
            if (object.metadata.name !== name) return;
            if (type === 'DELETED') return finish({ kind: 'failed', reason: 'deleted', message: 'object has been deleted' });
            report(judge.judge(object as Deployment, Date.now()), object as Deployment);
          },
          stop.signal,
        );
      } catch (err) {
        // An expired start revision is read again; anything else (unreachable, refused) ends the wait.
        if (!(err instanceof ApiError && err.code === grpc.status.OUT_OF_RANGE)) throw err;
      }
      // The server ended the watch: read again after a pause, so a server that keeps ending it is not hammered.
      await sleep(RESTART_PAUSE_MS, undefined, { signal: stop.signal }).catch(() => undefined);
    }
    return await finished;
  } finally {
    clearTimeout(timeout);
    clearTimeout(recheck);
    stop.abort();
  }
}

/** raceAbort resolves with the promise's value, or undefined once the signal aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
